package dev.taskyard.worker;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * Shares the claims of a worker's task threads: one thread at a time (the <em>leader</em>) asks the queue, for as
 * many tasks as there are task threads waiting for one (itself included, at most {@code maxBatch}), keeps the first
 * claim and hands the others to the waiting threads; the other threads wait for the leader instead of each running a
 * claim of its own. So a backlog is claimed with one queue claim per batch of free task threads rather than one per
 * task, and idle task threads cost the queue one waiting claim instead of one each.
 *
 * <p>Leases: a claimed task is handed only to a thread that waits for it. The leader asks for no more tasks than
 * the threads counted as waiting when it starts, and a waiting thread does not give up while a leader's claim is in
 * flight (even after its own {@code maxWait}), so every claim finds a thread within microseconds and no claimed task
 * sits unrenewed. The exception is a stop: a waiting thread interrupted by the worker leaves, and the claims nobody
 * took are returned by {@link #drain()} for the worker to hand back.
 *
 * <p>Each call of {@link #take} returns at most one claim and waits at most about {@code maxWait} (longer only while
 * a leader's claim is in flight). Thread-safe.
 */
final class SharedClaims
{
    /** How long a waiting thread sleeps at most before it looks again (a backstop: the leader signals). */
    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final TaskQueue queue;
    private final int maxBatch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private final ArrayDeque<Claim> ready = new ArrayDeque<>();
    private int waiting;
    private boolean leading;
    private long queueClaims;
    private long handedOut;

    /**
     * @param queue where the leader claims
     * @param maxBatch the most tasks one queue claim asks for (the worker passes its concurrency, capped)
     */
    SharedClaims(TaskQueue queue, int maxBatch)
    {
        this.queue = requireNonNull(queue, "queue is null");
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.maxBatch = maxBatch;
    }

    /**
     * Hands one claim to the calling task thread: one left by a leader, or one the caller claims itself as the
     * leader (then for every thread waiting). {@code request.max()} is ignored (one per call); {@code maxWait} and
     * the lease duration are the request's.
     *
     * @return one claim, or none when nothing was claimable within {@code request.maxWait()}
     * @throws InterruptedException the thread was interrupted (the worker stops)
     * @throws QueueException this thread's claim as the leader failed
     */
    List<Claim> take(ClaimRequest request)
            throws QueueException, InterruptedException
    {
        requireNonNull(request, "request is null");
        long deadline = System.nanoTime() + request.maxWait().toNanos();
        int max;
        lock.lock();
        try {
            while (true) {
                Claim claim = ready.poll();
                if (claim != null) {
                    handedOut++;
                    return List.of(claim);
                }
                long remaining = deadline - System.nanoTime();
                if (!leading) {
                    if (remaining <= 0 && !request.maxWait().isZero()) {
                        passOn(); // this thread may have been woken to lead: wake another one instead
                        return List.of();
                    }
                    leading = true;
                    max = Math.min(maxBatch, 1 + waiting);
                    break;
                }
                // a leader is claiming: wait for what it hands out, however long that takes
                waiting++;
                try {
                    changed.awaitNanos(Math.min(remaining > 0 ? remaining : RECHECK_NANOS, RECHECK_NANOS));
                }
                catch (InterruptedException e) {
                    passOn();
                    throw e;
                }
                finally {
                    waiting--;
                }
            }
        }
        finally {
            lock.unlock();
        }
        List<Claim> claims = List.of();
        try {
            long remaining = Math.max(0, deadline - System.nanoTime());
            claims = queue.claim(new ClaimRequest(request.worker(), max, Duration.ofNanos(remaining),
                    request.leaseDuration()));
            return claims.isEmpty() ? List.of() : List.of(claims.get(0));
        }
        finally {
            lock.lock();
            try {
                leading = false;
                queueClaims++;
                if (!claims.isEmpty()) {
                    handedOut++;
                    ready.addAll(claims.subList(1, claims.size()));
                }
                // wake one waiting thread per claim left, and one to lead the next claim; not all of them (on two
                // cores, waking 30 threads to hand out 3 claims costs more than the claim)
                for (int i = Math.min(waiting, ready.size() + 1); i > 0; i--) {
                    changed.signal();
                }
            }
            finally {
                lock.unlock();
            }
        }
    }

    /** Wakes one waiting thread, if any, in place of the caller (who was perhaps woken for it). Lock held. */
    private void passOn()
    {
        if (waiting > 0) {
            changed.signal();
        }
    }

    /** Removes and returns the claims no thread took (at a stop: the worker hands them back). */
    List<Claim> drain()
    {
        lock.lock();
        try {
            List<Claim> left = new ArrayList<>(ready);
            ready.clear();
            return left;
        }
        finally {
            lock.unlock();
        }
    }

    /** Queue claims run so far (by leaders, including those that found nothing). */
    long queueClaims()
    {
        lock.lock();
        try {
            return queueClaims;
        }
        finally {
            lock.unlock();
        }
    }

    /** Threads waiting now for a leader's claims. */
    int waitingThreads()
    {
        lock.lock();
        try {
            return waiting;
        }
        finally {
            lock.unlock();
        }
    }

    /** Claims handed to task threads so far. */
    long handedOut()
    {
        lock.lock();
        try {
            return handedOut;
        }
        finally {
            lock.unlock();
        }
    }
}
