package dev.taskyard.engine;

import java.util.List;

/**
 * A running task. <b>Every method is thread-safe</b>; plugins call them concurrently.
 *
 * <h2>Resolution</h2>
 * A sandbox is resolved exactly once, by the first of these to happen: the task terminates on its own (or after
 * {@link #kill()}), or {@link #abort()} succeeds. The rules:
 * <ol>
 * <li>Once either {@code waitForResult} or {@code abort} has returned, every later call of either gives the
 *     consistent outcome.</li>
 * <li>Every {@code waitForResult} call returns the same {@link ResultSet} instance (or throws the same kind of
 *     error).</li>
 * <li>{@code abort} after natural completion throws {@link SandboxTerminatedException} and releases nothing, and
 *     {@code waitForResult} still returns the result.</li>
 * <li>{@code waitForResult} after a successful {@code abort} throws {@link SandboxAbortedException}; so does a
 *     {@code waitForResult} that was blocked when {@code abort} succeeded. Repeated {@code abort} calls after a
 *     successful one return normally.</li>
 * <li>{@code kill} makes {@code waitForResult} return a ResultSet whose {@link ResultSet#success()} is
 *     {@code false} and whose termination says {@linkplain Termination#killed() killed}: not an error.</li>
 * <li>{@code kill} or {@code newShell} after termination throw {@link SandboxTerminatedException}; after an
 *     abort, {@link SandboxAbortedException}.</li>
 * <li>Killing or resolving a sandbox aborts its shells and closes its displays.</li>
 * </ol>
 * Cancelling the task context aborts the sandbox.
 *
 * <p>Ownership: until resolution the sandbox owns the task's resources; {@code waitForResult} transfers them to
 * the ResultSet, which the caller must dispose; {@code abort} releases them.
 */
public interface Sandbox
{
    /**
     * Waits for the task to terminate and returns its result. May be called any number of times from any thread.
     *
     * @throws SandboxAbortedException the sandbox was aborted
     * @throws NonFatalInternalErrorException the engine failed; resources were released
     * @throws InterruptedException the calling thread was interrupted; the sandbox is unaffected
     */
    ResultSet waitForResult()
            throws EngineException, InterruptedException;

    /**
     * Kills the task, its shells and displays, and releases everything the sandbox holds; returns when that is
     * done.
     *
     * @throws SandboxTerminatedException the task had already terminated; use {@link #waitForResult()}
     */
    void abort()
            throws EngineException;

    /**
     * Kills every process of the task and aborts its shells, then returns without waiting; {@link #waitForResult()}
     * then yields a failed ResultSet.
     *
     * @throws SandboxTerminatedException the task had already terminated
     * @throws SandboxAbortedException the sandbox was aborted
     */
    void kill()
            throws EngineException;

    /**
     * Opens an interactive shell in the sandbox. An empty command runs the engine's default shell.
     *
     * @throws FeatureNotSupportedException unless {@link Feature#SHELLS} is supported (the default)
     * @throws MalformedPayloadException the command cannot be started
     * @throws SandboxTerminatedException the task has terminated
     * @throws SandboxAbortedException the sandbox was aborted
     */
    default Shell newShell(List<String> command, boolean tty)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support shells");
    }

    /**
     * The displays of the sandbox.
     *
     * @throws FeatureNotSupportedException unless {@link Feature#DISPLAYS} is supported (the default)
     * @throws SandboxTerminatedException the task has terminated
     */
    default List<Display> listDisplays()
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support displays");
    }

    /**
     * Opens a raw RFB (VNC) connection to a display. Closed by the engine when the sandbox is killed or resolved.
     *
     * @throws NoSuchDisplayException no display has that name
     * @throws FeatureNotSupportedException unless {@link Feature#DISPLAYS} is supported (the default)
     * @throws SandboxTerminatedException the task has terminated
     */
    default DisplayConnection openDisplay(String name)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support displays");
    }
}
