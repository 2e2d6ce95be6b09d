package dev.taskyard.plugin;

import java.time.Duration;
import java.util.Set;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.schema.JsonSchema;

/**
 * A worker-wide plugin, created once by its {@link PluginProvider}. Every method is thread-safe: the worker calls
 * {@link #newTaskPlugin} for many tasks at once.
 *
 * <p>Life-cycle: {@code createPlugin} → any number of {@code newTaskPlugin}, {@code reportIdle},
 * {@code reportNonFatalError} → {@link #dispose()} once, after every task plugin it made is disposed.
 */
public interface Plugin
{
    /**
     * The schema of the plugin's part of the task payload. It must describe an object; its top-level properties are
     * the keys the plugin claims. The worker merges it with the engine's and the other plugins' schemas at start-up
     * (a key claimed twice stops the start-up) and passes each task plugin only its keys. It may depend on the
     * plugin's config, but must be the same on every call. Defaults to claiming no key.
     */
    default JsonSchema payloadSchema()
    {
        return JsonSchema.emptyObject();
    }

    /**
     * Creates the plugin's part of one task run. Called once per task, concurrently with the engine's
     * {@code newSandboxBuilder} and with the other plugins; start slow work here and wait for it in a later hook.
     * Logging plugins must not fail here. Return {@link TaskPlugin#NONE} when the task needs nothing of the plugin.
     *
     * @throws dev.taskyard.engine.MalformedPayloadException the plugin's part of the payload cannot be used
     * @throws dev.taskyard.engine.InternalErrorException the plugin failed (already logged)
     */
    TaskPlugin newTaskPlugin(TaskPluginOptions options)
            throws EngineException;

    /**
     * Values the worker must mask in every task log while this plugin is configured (secrets it hands to tasks): each
     * occurrence is replaced with {@code ***} before any reader sees it, also when it is split across writes. Read
     * once, when the worker starts. Defaults to none.
     */
    default Set<String> secrets()
    {
        return Set.of();
    }

    /** Called from the claim loop while the worker has been idle for {@code idleFor}; must return quickly. */
    default void reportIdle(Duration idleFor) {}

    /** Called after a task ended with a non-fatal internal error, e.g. to stop after too many; must return quickly. */
    default void reportNonFatalError() {}

    /**
     * Releases what the plugin holds. Called once, when the worker stops.
     *
     * @throws dev.taskyard.engine.InternalErrorException resources could not be released
     */
    default void dispose()
            throws EngineException
    {
    }
}
