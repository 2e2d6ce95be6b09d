package dev.taskyard.store.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wakes in-process waiters (long-polling claims, {@code awaitChange}) after a committed change. A waiter reads the
 * {@linkplain #generation() generation} before it looks at the database and then {@linkplain #await waits} only if
 * no change was signalled since, so no signal is lost. Thread-safe.
 */
public final class ChangeNotifier
{
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long generation;

    /** The number of changes signalled so far. */
    public long generation()
    {
        lock.lock();
        try {
            return generation;
        }
        finally {
            lock.unlock();
        }
    }

    /** Records a change and wakes every waiter. */
    public void signal()
    {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Records a change that one waiter can take care of (e.g. one new task for claimers) and wakes one waiter; the
     * others wake at their next timeout or signal, and any waiter that had not started waiting yet does not wait.
     */
    public void signalOne()
    {
        lock.lock();
        try {
            generation++;
            changed.signal();
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code nanos} unless the generation already differs from {@code seen}.
     *
     * @throws InterruptedException the waiting thread was interrupted
     */
    public void await(long seen, long nanos)
            throws InterruptedException
    {
        lock.lockInterruptibly();
        try {
            long remaining = nanos;
            while (generation == seen && remaining > 0) {
                remaining = changed.awaitNanos(remaining);
            }
        }
        finally {
            lock.unlock();
        }
    }

    /** {@link #await} with a duration in milliseconds. */
    public void awaitMillis(long seen, long millis)
            throws InterruptedException
    {
        await(seen, TimeUnit.MILLISECONDS.toNanos(millis));
    }
}
