package dev.taskyard.plugin;

import dev.taskyard.engine.TaskContext;

import static java.util.Objects.requireNonNull;

/**
 * What {@link TaskPlugin#exception} receives.
 *
 * @param reason why the run ended as an exception
 * @param context the task run's context; cancelled, and its log is closed
 */
public record ExceptionRequest(ExceptionReason reason, TaskContext context)
{
    public ExceptionRequest
    {
        requireNonNull(reason, "reason is null");
        requireNonNull(context, "context is null");
    }
}
