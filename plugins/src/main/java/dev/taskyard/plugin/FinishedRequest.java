package dev.taskyard.plugin;

import dev.taskyard.engine.TaskContext;

import static java.util.Objects.requireNonNull;

/**
 * What {@link TaskPlugin#finished} receives.
 *
 * @param success whether the task succeeded: every plugin's {@code stopped} returned {@code true}
 * @param context the task run's context; its log is closed
 */
public record FinishedRequest(boolean success, TaskContext context)
{
    public FinishedRequest
    {
        requireNonNull(context, "context is null");
    }
}
