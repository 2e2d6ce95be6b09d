package dev.taskyard.engine;

import java.util.List;

/**
 * A running task. <b>Every method is thread-safe</b>; plugins call them concurrently.
 *
 * <h2>Resolution</h2>
 * A sandbox is resolved exactly once, by the first of these to happen: the task terminates on its own (or after
 * {@link #kill()}), or {@link #abort()} succeeds. The rules (the contract kit names each by the id in brackets):
 * <ol>
 * <li>[consistent-resolution] Once either {@code waitForResult} or {@code abort} has returned, every later call of
 *     either gives the consistent outcome.</li>
 * <li>[same-result-set] Every {@code waitForResult} call returns the same {@link ResultSet} instance (or throws the
 *     same kind of error).</li>
 * <li>[abort-after-completion] {@code abort} after natural completion throws {@link SandboxTerminatedException}
 *     and releases nothing, and {@code waitForResult} still returns the result.</li>
 * <li>[wait-after-abort] {@code waitForResult} after a successful {@code abort} throws
 *     {@link SandboxAbortedException}; so does a {@code waitForResult} that was blocked when {@code abort}
 *     succeeded. Repeated {@code abort} calls after a successful one return normally.</li>
 * <li>[kill-yields-failed-result] {@code kill} makes {@code waitForResult} return a ResultSet whose
 *     {@link ResultSet#success()} is {@code false} and whose termination says {@linkplain Termination#killed()
 *     killed}: not an error. A {@code kill} that returns normally guarantees that.</li>
 * <li>[kill-after-termination], [shell-after-termination] {@code kill} or {@code newShell} after the task
 *     terminated throw {@link SandboxTerminatedException}, whether or not anyone called {@code waitForResult} yet
 * (termination is a fact of the task, not of its observation); after an abort, {@link SandboxAbortedException}.</li>
 * <li>[kill-aborts-shells], [kill-closes-displays] Killing or resolving a sandbox aborts its shells and closes its
 *     displays.</li>
 * <li>[abort-releases] {@code abort} returns only once everything the sandbox held is released: when it returns,
 *     the engine's {@link ResourceTracker} no longer lists anything of this task (concurrent aborts included: each
 *     returns only after the release).</li>
 * <li>[sandbox-thread-safety] Calls of {@code waitForResult}, {@code abort} and {@code kill} started at the same
 *     instant from many threads resolve the sandbox once: every call's outcome obeys rules 1 to 8 for that one
 *     resolution.</li>
 * <li>[cancellation] Cancelling the task context aborts the sandbox; passing its deadline kills the task (the
 *     result says {@linkplain Termination#timedOut() timed out}).</li>
 * </ol>
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
     * The sandbox's handle: what a later engine instance needs to re-attach to the task with
     * {@link Engine#recoverSandbox(RecoveryOptions)} after the worker's process ended. The caller stores it (with the
     * task's lease) right after {@code startSandbox} returned; it must stay valid while the task runs and after it
     * terminated until the sandbox is resolved. Every call returns an equal handle. Calling it neither changes nor
     * resolves the sandbox; the resolution rules above hold as they are. After an abort it may still return the
     * handle, whose recovery then fails with {@link ResourceNotFoundException}. Thread-safe and quick (no I/O beyond
     * what {@code startSandbox} already did).
     *
     * @throws FeatureNotSupportedException unless {@link Feature#RECOVERY} is supported (the default)
     */
    default SandboxHandle handle()
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support recovery");
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
