package dev.taskyard.plugin;

import dev.taskyard.engine.EngineException;

/**
 * A plugin's part of one task run, made by {@link Plugin#newTaskPlugin(TaskPluginOptions)}.
 *
 * <h2>Order and threading</h2>
 * The hooks are called in this order: {@link #buildSandbox} → {@link #started} → {@link #stopped} →
 * {@link #finished}. When the run ends early, {@link #exception} replaces the remaining ones; {@link #dispose()} is
 * always last. A task plugin is <b>never called concurrently with itself</b>, and never after {@code dispose}, so it
 * needs no locking for its own state; but the hooks of <em>different</em> plugins for the same stage run
 * concurrently, so the builder, sandbox and result set it is given are shared (they are thread-safe). A hook may run
 * on any thread. A hook that runs longer than the worker's hook limit is reported as a livelock, which stops the
 * worker.
 *
 * <h2>Errors</h2>
 * {@link dev.taskyard.engine.MalformedPayloadException} resolves the task as {@code malformed-payload} and its messages
 * go to the task log; {@link dev.taskyard.engine.NonFatalInternalErrorException} resolves it as
 * {@code internal-error}; {@link dev.taskyard.engine.FatalInternalErrorException} also stops the worker. Any other
 * exception is a bug: it is logged with an incident id in the worker log and the task log, and treated as fatal.
 * Errors that only reflect the task being aborted (the context is cancelled) are ignored.
 *
 * <p>Every hook is optional (a default method doing nothing); {@link #NONE} is the task plugin with no hooks.
 */
public interface TaskPlugin
{
    /** The task plugin without hooks. */
    TaskPlugin NONE = new TaskPlugin() {};

    /**
     * Customises the sandbox: environment variables, proxies, volumes. Must not call {@code startSandbox} or
     * {@code discard}; the builder stays owned by the worker.
     */
    default void buildSandbox(BuildSandboxRequest request)
            throws EngineException
    {
    }

    /** The task runs. The plugin may use the sandbox (shells, displays, {@code kill}) but must not abort or wait for
     * it. */
    default void started(StartedRequest request)
            throws EngineException
    {
    }

    /**
     * The task terminated; extract artifacts and results here. The result set stays owned by the worker.
     *
     * @return whether the task succeeded as far as this plugin is concerned; the task completes only if every plugin
     *         returns {@code true}. Defaults to {@code true}.
     */
    default boolean stopped(StoppedRequest request)
            throws EngineException
    {
        return true;
    }

    /** The run is over and the task log is closed (it can still be read); nothing should fail here. */
    default void finished(FinishedRequest request)
            throws EngineException
    {
    }

    /**
     * The run ended as an exception instead of reaching {@link #finished}; best effort only: the log is closed.
     * Implementations must handle reasons added in the future.
     */
    default void exception(ExceptionRequest request)
            throws EngineException
    {
    }

    /** Releases everything: stops background work and cancels timers. Always called, last. */
    default void dispose()
            throws EngineException
    {
    }
}
