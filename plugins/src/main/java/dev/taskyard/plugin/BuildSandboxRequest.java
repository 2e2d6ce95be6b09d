package dev.taskyard.plugin;

import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskContext;

import static java.util.Objects.requireNonNull;

/**
 * What {@link TaskPlugin#buildSandbox} receives.
 *
 * @param builder the sandbox builder to customise; owned by the worker
 * @param context the task run's context
 */
public record BuildSandboxRequest(SandboxBuilder builder, TaskContext context)
{
    public BuildSandboxRequest
    {
        requireNonNull(builder, "builder is null");
        requireNonNull(context, "context is null");
    }
}
