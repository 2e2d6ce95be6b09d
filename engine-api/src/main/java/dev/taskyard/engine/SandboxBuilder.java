package dev.taskyard.engine;

/**
 * Prepares one sandbox. Plugins customise it concurrently, so <b>every method is thread-safe</b>.
 *
 * <p>Exactly one of {@link #startSandbox()} and {@link #discard()} ends the builder: starting transfers everything
 * it holds to the sandbox, discarding releases it. Either way nothing is left behind, also when the task context is
 * cancelled meanwhile.
 */
public interface SandboxBuilder
{
    /**
     * Declares an environment variable for the task.
     *
     * @throws MalformedPayloadException the name is not valid for this engine (for every engine: empty, or
     *         containing {@code =} or NUL)
     * @throws NamingConflictException the name was already declared on this builder
     * @throws FeatureNotSupportedException unless {@link Feature#ENVIRONMENT_VARIABLES} is supported (the default)
     */
    default void setEnvironmentVariable(String name, String value)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support environment variables");
    }

    /**
     * Mounts a volume of this engine at a mount point (an engine-specific path).
     *
     * @throws MalformedPayloadException the mount point has the wrong format
     * @throws NamingConflictException the mount point is already in use
     * @throws FeatureNotSupportedException unless {@link Feature#VOLUMES} is supported (the default)
     */
    default void attachVolume(String mountPoint, Volume volume, boolean readOnly)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support volumes");
    }

    /**
     * Routes the task's HTTP requests for {@code name} to {@code handler}, with the {@code /name} prefix stripped
     * from the path. Every engine that supports proxies accepts names matching {@code [a-z]{3,22}}.
     *
     * @throws MalformedPayloadException the name has the wrong format
     * @throws NamingConflictException the name is already in use
     * @throws FeatureNotSupportedException unless {@link Feature#PROXIES} is supported (the default)
     */
    default void attachProxy(String name, ProxyHandler handler)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support proxies");
    }

    /**
     * Starts the task. Called at most once, by the worker, after plugins are done with the builder. If the task
     * context is cancelled meanwhile it may return a sandbox or throw {@link TaskCanceledException}; resources are
     * transferred or released either way.
     *
     * @throws BuilderDiscardedException {@link #discard()} was called before or during this call
     * @throws MalformedPayloadException the payload cannot be run (e.g. a missing image)
     * @throws TaskCanceledException the task context was cancelled
     * @throws IllegalStateException called a second time: a bug of the caller
     */
    Sandbox startSandbox()
            throws EngineException;

    /**
     * Releases everything the builder holds. Idempotent; after {@link #startSandbox()} returned it does nothing.
     * If it runs during {@code startSandbox()}, that call throws {@link BuilderDiscardedException}.
     *
     * @throws InternalErrorException resources could not be released (fatal for the worker)
     */
    void discard()
            throws EngineException;
}
