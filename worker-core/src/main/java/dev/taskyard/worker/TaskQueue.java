package dev.taskyard.worker;

import java.util.List;

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
