package dev.taskyard.client;

import java.time.Duration;
import java.time.Instant;

/**
 * The client's sense of time: a monotonic clock, the wall clock (for {@code Retry-After} dates) and sleeping. Every
 * delay of the retry policy and of polling goes through one; tests inject a fake that records the delays and advances
 * its clocks instead of waiting. Implementations must be thread-safe.
 */
public interface Sleeper
{
    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** The current wall-clock time. */
    Instant now();

    /** Sleeps for {@code duration} (nothing when zero or negative). */
    void sleep(Duration duration)
            throws InterruptedException;

    /** The real clocks and {@link Thread#sleep}. */
    static Sleeper system()
    {
        return SystemSleeper.INSTANCE;
    }
}

final class SystemSleeper
        implements Sleeper
{
    static final SystemSleeper INSTANCE = new SystemSleeper();

    private SystemSleeper() {}

    @Override
    public long nanoTime()
    {
        return System.nanoTime();
    }

    @Override
    public Instant now()
    {
        return Instant.now();
    }

    @Override
    public void sleep(Duration duration)
            throws InterruptedException
    {
        if (duration.isNegative() || duration.isZero()) {
            return;
        }
        Thread.sleep(duration.toMillis(), (int) (duration.toNanosPart() % 1_000_000));
    }

    @Override
    public String toString()
    {
        return "Sleeper.system()";
    }
}
