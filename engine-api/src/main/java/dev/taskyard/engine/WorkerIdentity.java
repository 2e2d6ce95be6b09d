package dev.taskyard.engine;

import static java.util.Objects.requireNonNull;

/**
 * Who runs the engine. Engines label the objects they create (containers, volumes) with the worker id so that
 * leftovers of a crashed worker can be found and removed. One identity may back several engines in one process
 * (tests do this): an engine that removes leftovers by identity must not remove objects a sibling engine of the
 * same process still owns.
 *
 * @param workerGroup the pool of workers this one belongs to
 * @param workerId unique within the group
 */
public record WorkerIdentity(String workerGroup, String workerId)
{
    public WorkerIdentity
    {
        requireNonNull(workerGroup, "workerGroup is null");
        requireNonNull(workerId, "workerId is null");
    }
}
