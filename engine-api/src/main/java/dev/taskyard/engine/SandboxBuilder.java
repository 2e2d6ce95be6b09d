package dev.taskyard.engine;

import java.util.Optional;

/**
 * Prepares one sandbox. Plugins customise it concurrently, so <b>every method is thread-safe</b>.
 *
 * <p>The rules (the contract kit names each by the id in brackets):
 * <ol>
 * <li>[builder-thread-safety] Every method may be called from many threads at once; of concurrent declarations
 *     of one name exactly one succeeds, the others throw {@link NamingConflictException}.</li>
 * <li>[builder-single-use] Exactly one of {@link #startSandbox()} and {@link #discard()} ends the builder:
 *     starting transfers everything it holds to the sandbox, discarding releases it. A second
 *     {@code startSandbox} throws {@link IllegalStateException}, {@code startSandbox} after {@code discard}
 *     throws {@link BuilderDiscardedException}, {@code discard} is idempotent, and a {@code discard} during
 *     {@code startSandbox} makes it return a sandbox (that the caller aborts) or throw
 *     {@link BuilderDiscardedException}, leaking nothing either way.</li>
 * <li>[builder-after-end] Once the builder ended, declarations ({@code setEnvironmentVariable},
 *     {@code attachVolume}, {@code attachProxy}) throw: {@link BuilderDiscardedException} after a discard,
 *     {@link IllegalStateException} after a start. They never change a started sandbox silently.</li>
 * <li>[naming-conflict], [invalid-name] Declaring a name twice throws {@link NamingConflictException}; an invalid
 *     name throws {@link MalformedPayloadException}.</li>
 * <li>[environment], [volumes], [proxies] What was declared reaches the task.</li>
 * <li>[cancellation] If the task context is cancelled before or during {@code startSandbox}, it returns a sandbox
 *     (which then aborts itself) or throws {@link TaskCanceledException}; nothing leaks either way.</li>
 * </ol>
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
     * The handle the sandbox this builder starts will have ({@link Sandbox#handle()}), if the engine knows it before
     * the start. A caller that recovers stores it right before {@link #startSandbox()}, so that a process ending
     * during the start leaves a handle behind instead of a task that is started but cannot be found: recovering it
     * ({@link Engine#recoverSandbox}) yields the started task, or fails with {@link ResourceNotFoundException} if the
     * task never started (the engine then removes whatever the interrupted start left), and the caller runs it again.
     * Empty by default and whenever {@link Feature#RECOVERY} is not supported; if present, equal on every call and
     * equal to the started sandbox's handle. Thread-safe and quick (no I/O).
     *
     * @throws EngineException the handle cannot be given (the caller then stores the sandbox's after the start)
     */
    default Optional<SandboxHandle> handle()
            throws EngineException
    {
        return Optional.empty();
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
