package dev.taskyard.worker;

import static java.util.Objects.requireNonNull;

/** A task handed to a worker, with its lease. */
public record Claim(TaskSpec task, Lease lease)
{
    public Claim
    {
        requireNonNull(task, "task is null");
        requireNonNull(lease, "lease is null");
        if (!task.taskId().equals(lease.taskId())) {
            throw new IllegalArgumentException("the lease is for another task");
        }
    }
}
