package dev.taskyard.store;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of {@link TaskStore#submit}.
 *
 * @param created false when an earlier submit with the same idempotency key and payload is returned
 */
public record Submission(TaskRecord task, boolean created)
{
    public Submission
    {
        requireNonNull(task, "task is null");
    }
}
