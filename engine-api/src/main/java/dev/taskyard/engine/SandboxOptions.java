package dev.taskyard.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;

import static java.util.Objects.requireNonNull;

/**
 * What {@link Engine#newSandboxBuilder(SandboxOptions)} receives.
 *
 * @param payload the engine's part of the task payload: only the keys of {@link Engine#payloadSchema()},
 *        already validated against it. The engine must not modify it.
 * @param context the task context; the builder, the sandbox and the result set keep it and stop their work when
 *        it is cancelled
 */
public record SandboxOptions(ObjectNode payload, TaskContext context)
{
    public SandboxOptions
    {
        requireNonNull(payload, "payload is null");
        requireNonNull(context, "context is null");
    }
}
