package dev.taskyard.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.worker.ClaimRequest;

/** Helpers shared by the store tests. */
final class TestStores
{
    static final ObjectMapper JSON = new ObjectMapper();
    static final WorkerIdentity WORKER = new WorkerIdentity("g", "w");

    private TestStores()
    {
    }

    /** A clock tests move by hand. */
    static final class ManualClock
            extends Clock
    {
        private final AtomicReference<Instant> now;

        ManualClock(Instant start)
        {
            now = new AtomicReference<>(start);
        }

        ManualClock()
        {
            this(Instant.parse("2026-01-01T00:00:00Z"));
        }

        void advance(Duration duration)
        {
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

    static SqliteTaskStore open(Path folder, Clock clock)
            throws IOException
    {
        return SqliteTaskStore.Options.builder(folder).clock(clock).open();
    }

    static JsonNode json(String text)
    {
        try {
            return JSON.readTree(text);
        }
        catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static SubmitRequest request(String payload)
    {
        return new SubmitRequest(json(payload), Optional.empty(), Optional.empty());
    }

    static SubmitRequest request(String payload, String idempotencyKey)
    {
        return new SubmitRequest(json(payload), Optional.of(idempotencyKey), Optional.empty());
    }

    static ClaimRequest claim(int max)
    {
        return new ClaimRequest(WORKER, max, Duration.ZERO, Duration.ofSeconds(10));
    }
}
