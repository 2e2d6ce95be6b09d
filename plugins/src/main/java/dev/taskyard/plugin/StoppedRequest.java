package dev.taskyard.plugin;

import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.TaskContext;

import static java.util.Objects.requireNonNull;

/**
 * What {@link TaskPlugin#stopped} receives.
 *
 * @param result the result of the terminated task; owned by the worker
 * @param context the task run's context
 */
public record StoppedRequest(ResultSet result, TaskContext context)
{
    public StoppedRequest
    {
        requireNonNull(result, "result is null");
        requireNonNull(context, "context is null");
    }
}
