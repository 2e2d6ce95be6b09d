package dev.taskyard.worker;

import java.time.Duration;
import java.util.List;

import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.WorkerIdentity;

/**
 * Where a worker gets its tasks and reports their outcome. Implementations must be thread-safe: the claim loop,
 * the lease renewer and every task thread call them concurrently.
 *
 * <p>The contract is shaped for durable queues:
 * <ul>
 * <li>{@link #claim} hands out pending tasks (and tasks whose lease expired) under a new lease with a fresh token,
 *     an expiry and an incremented attempt number. With PostgreSQL: one
 *     {@code UPDATE … WHERE id IN (SELECT id … FOR UPDATE SKIP LOCKED LIMIT max) RETURNING …}; with SQLite: the
 *     same in one {@code BEGIN IMMEDIATE} transaction.</li>
 * <li>{@link #renew} extends a lease if, and only if, its token is still the task's current one
 *     ({@code UPDATE … WHERE id = ? AND lease_token = ?}); otherwise it throws {@link LeaseLostException}.</li>
 * <li>{@link #resolve} is idempotent per lease: repeating it with the same lease (after a lost answer) succeeds
 *     without changing anything; a stale lease throws {@link LeaseLostException}.</li>
 * <li>{@link #saveSandbox} and {@link #reclaim} (optional) let a worker that starts again re-attach to the sandboxes
 *     its previous process left running ({@link dev.taskyard.engine.Feature#RECOVERY}) instead of running their
 *     tasks again.</li>
 * <li>{@link #onCancel} (optional) pushes a cancellation to the worker holding the lease, so that the run is aborted
 *     at once rather than at its next renewal.</li>
 * </ul>
 */
public interface TaskQueue
{
    /**
     * Hands out up to {@code request.max()} tasks, waiting up to {@code request.maxWait()} when none is pending.
     *
     * @return the claims, possibly empty
     * @throws InterruptedException the worker is stopping
     */
    List<Claim> claim(ClaimRequest request)
            throws QueueException, InterruptedException;

    /**
     * Extends a lease by the duration it was claimed with.
     *
     * @return the renewed lease (same token, later expiry)
     * @throws LeaseLostException the task was cancelled, the lease expired, or the task is resolved
     */
    Lease renew(Lease lease)
            throws QueueException;

    /**
     * Asks to be told when the task of {@code lease} is cancelled while {@code lease} is its current lease, so that the
     * worker aborts the run at once. Optional: the default registers nothing, and a cancellation then reaches the run
     * at its next {@link #renew} (within a third of the lease).
     *
     * <p>Contract for implementations: {@code listener} runs at most once, on any thread (typically the one that
     * cancels), and must not be called while holding a lock the worker could need (the worker's listener only aborts
     * the run, without blocking). After {@link Subscription#close()} it is not called any more, except once when a
     * cancellation races with the close; the worker tolerates that (aborting a run that is over does nothing).
     * If the task is already cancelled when this is called, the listener runs at once, on the calling thread. A
     * listener that throws is the worker's bug: log it and carry on. A queue whose cancellations happen in another
     * process (PostgreSQL, another server) may implement this with {@code LISTEN/NOTIFY} or by polling; the worker's
     * renewals stay the backstop either way.
     *
     * @return ends the registration; the worker closes it when the run is over
     * @throws QueueException the registration failed; the worker falls back to its renewals
     */
    default Subscription onCancel(Lease lease, Runnable listener)
            throws QueueException
    {
        return Subscription.NONE;
    }

    /** A registration made with {@link #onCancel}; closing it is idempotent and never fails. */
    interface Subscription
            extends AutoCloseable
    {
        /** The registration that registered nothing. */
        Subscription NONE = () -> {};

        @Override
        void close();
    }

    /**
     * Stores the handle of the run's sandbox with its lease, so that the worker can re-attach to the sandbox after
     * its process ended ({@link #reclaim}). Fenced like {@link #renew}: only the task's current lease may save; a
     * second save replaces the first. The handle is forgotten when the task is handed out again, handed back or
     * resolved. Optional: the default stores nothing and returns false (such a queue's runs are never reclaimed).
     *
     * @return whether the handle is stored
     * @throws LeaseLostException the lease is no longer the task's current one
     */
    default boolean saveSandbox(Lease lease, SandboxHandle handle)
            throws QueueException
    {
        return false;
    }

    /**
     * Called once when a worker starts, before its first {@link #claim}: hands back the RUNNING runs whose current
     * lease was claimed by {@code worker} (the same group and id) and that have a {@linkplain #saveSandbox saved
     * handle}, each under a new lease token and expiry ({@code leaseDuration} from now) but with its attempt and run id
     * unchanged, with the handle and the number of bytes of the run's log already stored. Leases of other workers are
     * never touched; the old token of a reclaimed lease is stale from now on. Runs of {@code worker} without a handle
     * (its previous process ended between the claim and {@link #saveSandbox}) cannot be recovered: a queue that can
     * {@linkplain #release hand leases back} does so for them in the same call (they run again with their attempt),
     * otherwise they are left to expire. Optional: the default reclaims nothing.
     *
     * @return the reclaimed runs, possibly empty
     */
    default List<ReclaimedRun> reclaim(WorkerIdentity worker, Duration leaseDuration)
            throws QueueException
    {
        return List.of();
    }

    /**
     * Hands a lease back unfinished: the RUNNING task becomes pending again as if this attempt had never been handed
     * out (its attempt number is reused; the run's log and artifacts are discarded). The worker calls it for a
     * reclaimed run whose sandbox it could not recover. Optional: the default hands nothing back and returns false
     * (the lease then expires and the task is handed out again as the next attempt).
     *
     * @return false if the lease is no longer the task's current one, or if this queue cannot hand leases back
     */
    default boolean release(Lease lease)
            throws QueueException
    {
        return false;
    }

    /** Publishes a running task's progress in percent; best effort. */
    default void reportProgress(Lease lease, int percent)
            throws QueueException
    {
    }

    /**
     * Records how the run ended. Idempotent per lease.
     *
     * @throws LeaseLostException the lease is no longer the task's current one
     */
    void resolve(Lease lease, TaskResolution resolution)
            throws QueueException;
}
