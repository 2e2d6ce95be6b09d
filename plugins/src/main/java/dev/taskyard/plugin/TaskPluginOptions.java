package dev.taskyard.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.TaskContext;

import static java.util.Objects.requireNonNull;

/**
 * What {@link Plugin#newTaskPlugin(TaskPluginOptions)} receives.
 *
 * @param context the task run's context: ids, deadline, cancellation and the live log. Owned by the worker; the
 *        plugin may listen to it and write to its log until the log is closed.
 * @param payload the plugin's part of the payload: only the keys of {@link Plugin#payloadSchema()}, already valid
 *        against it. Owned by the plugin from now on.
 * @param reporter where the plugin publishes progress and the task result
 */
public record TaskPluginOptions(TaskContext context, ObjectNode payload, TaskReporter reporter)
{
    public TaskPluginOptions
    {
        requireNonNull(context, "context is null");
        requireNonNull(payload, "payload is null");
        requireNonNull(reporter, "reporter is null");
    }
}
