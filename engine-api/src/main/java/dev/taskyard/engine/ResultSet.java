package dev.taskyard.engine;

import java.io.InputStream;

/**
 * The outcome of a terminated task; owns what is left of the sandbox (its files, its container) until
 * {@link #dispose()}. <b>Every method is thread-safe</b>; plugins call them concurrently. Calls other than
 * {@code dispose} after disposal throw {@link IllegalStateException}.
 *
 * <p>Paths are engine-specific and documented by each engine; plugins take them from the payload.
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
