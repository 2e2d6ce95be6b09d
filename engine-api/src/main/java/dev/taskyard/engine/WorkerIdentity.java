package dev.taskyard.engine;

import static java.util.Objects.requireNonNull;

/**
 * Who runs the engine. Engines label the objects they create (containers, volumes) with the worker id so that
 * leftovers of a crashed worker can be found and removed.
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
