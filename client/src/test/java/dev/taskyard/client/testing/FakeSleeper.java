package dev.taskyard.client.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.taskyard.client.Sleeper;

/** A {@link Sleeper} that never waits: it records each sleep and advances its clocks by it. Thread-safe. */
public final class FakeSleeper
        implements Sleeper
{
    private final List<Duration> sleeps = new ArrayList<>();
    private long nanos;
    private Instant now;

    public FakeSleeper(Instant start)
    {
        this.now = start;
    }

    public FakeSleeper()
    {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Override
    public synchronized long nanoTime()
    {
        return nanos;
    }

    @Override
    public synchronized Instant now()
    {
        return now;
    }

    @Override
    public synchronized void sleep(Duration duration)
    {
        sleeps.add(duration);
        if (!duration.isNegative()) {
            nanos += duration.toNanos();
            now = now.plus(duration);
        }
    }

    /** Every sleep so far, in order. */
    public synchronized List<Duration> sleeps()
    {
        return List.copyOf(sleeps);
    }

    /** Total time slept. */
    public synchronized Duration slept()
    {
        return sleeps.stream().reduce(Duration.ZERO, Duration::plus);
    }
}
