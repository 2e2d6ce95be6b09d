package dev.taskyard.store.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/** A clock that only moves when a test moves it. Thread-safe. */
public final class ManualClock
        extends Clock
{
    private final AtomicReference<Instant> now;

    public ManualClock(Instant start)
    {
        now = new AtomicReference<>(requireNonNull(start, "start is null"));
    }

    /** Starts at 2026-01-01T00:00:00Z. */
    public ManualClock()
    {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    public void advance(Duration duration)
    {
        requireNonNull(duration, "duration is null");
        now.updateAndGet(instant -> instant.plus(duration));
    }

    @Override
    public Instant instant()
    {
        return now.get();
    }

    @Override
    public ZoneId getZone()
    {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone)
    {
        return this;
    }
}
