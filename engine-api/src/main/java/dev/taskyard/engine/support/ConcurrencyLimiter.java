package dev.taskyard.engine.support;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.engine.MaxConcurrencyExceededException;

/**
 * Enforces {@link dev.taskyard.engine.Capabilities#maxConcurrency()}: an engine takes a {@link Permit} in
 * {@code newSandboxBuilder} and releases it when the builder is discarded, the sandbox aborted or the result set
 * disposed. Thread-safe and lock-free.
 */
public final class ConcurrencyLimiter
{
    private final int max;
    private final AtomicInteger live = new AtomicInteger();

    /** @param max the limit; {@code 0} for none */
    public ConcurrencyLimiter(int max)
    {
        if (max < 0) {
            throw new IllegalArgumentException("max is negative");
        }
        this.max = max;
    }

    /** Takes a permit, or throws {@link MaxConcurrencyExceededException} when {@code max} are taken. */
    public Permit acquire()
            throws MaxConcurrencyExceededException
    {
        while (true) {
            int current = live.get();
            if (max != 0 && current >= max) {
                throw new MaxConcurrencyExceededException("the engine already runs " + current
                        + " sandboxes, its maximum");
            }
            if (live.compareAndSet(current, current + 1)) {
                return new Permit();
            }
        }
    }

    /** Permits currently taken. */
    public int live()
    {
        return live.get();
    }

    /** A taken slot; {@link #release()} is idempotent. */
    public final class Permit
    {
        private final AtomicBoolean released = new AtomicBoolean();

        private Permit() {}

        public void release()
        {
            if (released.compareAndSet(false, true)) {
                live.decrementAndGet();
            }
        }
    }
}
