package dev.taskyard.worker;

import java.time.Duration;

import dev.taskyard.engine.WorkerIdentity;

import static java.util.Objects.requireNonNull;

/**
 * What a worker asks the queue for.
 *
 * @param worker who claims (queues record it on the lease)
 * @param max the most tasks to hand out, at least 1
 * @param maxWait how long to wait for a task when none is pending (long polling); zero for no wait
 * @param leaseDuration how long each lease lasts before it must be renewed
 */
public record ClaimRequest(WorkerIdentity worker, int max, Duration maxWait, Duration leaseDuration)
{
    public ClaimRequest
    {
        requireNonNull(worker, "worker is null");
        requireNonNull(maxWait, "maxWait is null");
        requireNonNull(leaseDuration, "leaseDuration is null");
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1");
        }
        if (leaseDuration.isNegative() || leaseDuration.isZero()) {
            throw new IllegalArgumentException("leaseDuration must be positive");
        }
    }
}
