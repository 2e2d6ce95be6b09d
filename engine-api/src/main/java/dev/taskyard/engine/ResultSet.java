package dev.taskyard.engine;

import java.io.InputStream;

/**
 * The outcome of a terminated task; owns what is left of the sandbox (its files, its container) until
 * {@link #dispose()}. <b>Every method is thread-safe</b>; plugins call them concurrently.
 *
 * <p>Paths are engine-specific and documented by each engine; plugins take them from the payload.
 *
 * <p>The rules (the contract kit names each by the id in brackets):
 * <ol>
 * <li>[result-set-thread-safety] Extractions may run from many threads at once; each gets exactly the content of
 *     the file it named.</li>
 * <li>[success-reporting], [exit-code] {@link #success()} is {@link Termination#exitedCleanly()}; the termination
 *     reports the exact exit code the task's main process ended with (0 to 255, never collapsed to 0/1).</li>
 * <li>[artifacts], [folder-without-directories], [resource-not-found], [handler-interrupt] Extraction returns
 *     exactly the task's files: {@code extractFolder} reports regular files only, with relative
 *     {@code /}-separated paths; missing files and folders throw {@link ResourceNotFoundException}; a failing
 *     handler stops the walk with {@link HandlerInterruptedException}.</li>
 * <li>[artifact-path-escape] A path that is empty, contains NUL, or has a {@code ..} segment that climbs above
 *     where it started throws {@link MalformedPayloadException}. No path ever yields content from outside the
 *     sandbox: not through {@code ..}, an absolute host path, a symbolic link the task made pointing out of the
 *     sandbox, nor an overlong path; such paths throw {@link MalformedPayloadException} or
 *     {@link ResourceNotFoundException}.</li>
 * <li>[result-set-after-dispose] After {@link #dispose()} every other method throws {@link IllegalStateException}.</li>
 * <li>[dispose-idempotent] {@link #dispose()} is idempotent: later calls return normally and release nothing
 *     twice.</li>
 * </ol>
 */
public interface ResultSet
{
    /** Whether the task succeeded, typically exit code 0 and not killed. */
    boolean success();

    /** How the task's main process ended. */
    Termination termination();

    /**
     * Opens one file of the task. The caller closes the stream.
     *
     * @throws ResourceNotFoundException no such file
     * @throws MalformedPayloadException the path has the wrong format or escapes the sandbox
     * @throws FeatureNotSupportedException unless {@link Feature#ARTIFACTS} is supported
     */
    default InputStream extractFile(String path)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support artifacts");
    }

    /**
     * Calls {@code handler} once for every regular file below a folder, recursively; never for directories. On the
     * first handler failure it stops, waits for outstanding calls and throws {@link HandlerInterruptedException}.
     *
     * @throws ResourceNotFoundException no such folder (the handler is not called)
     * @throws MalformedPayloadException the path has the wrong format or escapes the sandbox
     * @throws FeatureNotSupportedException unless {@link Feature#ARTIFACTS} is supported
     */
    default void extractFolder(String path, FileHandler handler)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support artifacts");
    }

    /**
     * Releases everything. Idempotent. Volumes attached to the sandbox are not disposed, only detached.
     *
     * @throws InternalErrorException resources could not be released
     */
    void dispose()
            throws EngineException;
}
