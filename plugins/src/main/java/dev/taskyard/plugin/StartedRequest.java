package dev.taskyard.plugin;

import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;

import static java.util.Objects.requireNonNull;

/**
 * What {@link TaskPlugin#started} receives.
 *
 * @param sandbox the running sandbox; owned by the worker
 * @param context the task run's context
 */
public record StartedRequest(Sandbox sandbox, TaskContext context)
{
    public StartedRequest
    {
        requireNonNull(sandbox, "sandbox is null");
        requireNonNull(context, "context is null");
    }
}
