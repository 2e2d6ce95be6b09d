package dev.taskyard.engine.support;

import java.util.concurrent.CountDownLatch;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.ShellAbortedException;
import dev.taskyard.engine.ShellTerminatedException;

import static java.util.Objects.requireNonNull;

/**
 * The state rules of {@link Shell}, implemented once: a shell ends exactly once, either by itself
 * ({@link #exited(boolean)}, called by the engine when the shell's process ends) or aborted ({@link #abort()}, or
 * {@link #abortSession()} when its sandbox ends). {@link #abort()} of an ended shell throws
 * {@link ShellTerminatedException}, a second abort returns normally, {@link #waitFor()} of an aborted shell throws
 * {@link ShellAbortedException}, and the shell's tracker entry is released when it ends.
 *
 * <p>Register the shell with its sandbox through {@link AbstractSandbox#addSession}; the sandbox then aborts it when
 * it is killed or resolves. Thread-safe.
 */
public abstract class AbstractShell
        implements Shell, AbstractSandbox.Session
{
    private final ResourceTracker.Resource resource;
    private final CountDownLatch done = new CountDownLatch(1);
    private final Object lock = new Object();

    // guarded by lock
    private boolean ended;
    private boolean aborted;
    private boolean success;

    /** @param resource the shell's tracker entry; released when the shell ends */
    protected AbstractShell(ResourceTracker.Resource resource)
    {
        this.resource = requireNonNull(resource, "resource is null");
    }

    /** Stops the shell's process; called once, when the shell is aborted. Must not block for long nor throw. */
    protected abstract void kill();

    /** Releases the shell's streams; called once, when the shell ends (after {@link #kill()} if aborted). */
    protected abstract void closeStreams();

    /**
     * Kills the shell; {@link #waitFor()} then throws {@link ShellAbortedException}. Repeated aborts return normally.
     *
     * @throws ShellTerminatedException the shell had already ended by itself
     */
    @Override
    public final void abort()
            throws EngineException
    {
        synchronized (lock) {
            if (aborted) {
                return;
            }
            if (ended) {
                throw new ShellTerminatedException("the shell has already ended");
            }
        }
        abortSession();
    }

    /** Ends the shell as aborted unless it already ended; for its sandbox. Never blocks for long. */
    @Override
    public final void abortSession()
    {
        synchronized (lock) {
            if (ended) {
                return;
            }
            ended = true;
            aborted = true;
        }
        try {
            kill();
        }
        finally {
            finish();
        }
    }

    @Override
    public final boolean waitFor()
            throws EngineException, InterruptedException
    {
        done.await();
        synchronized (lock) {
            if (aborted) {
                throw new ShellAbortedException("the shell was aborted");
            }
            return success;
        }
    }

    /**
     * The shell's process ended by itself. Returns whether this call ended the shell ({@code false} if it was
     * aborted or had ended already).
     */
    protected final boolean exited(boolean succeeded)
    {
        synchronized (lock) {
            if (ended) {
                return false;
            }
            ended = true;
            success = succeeded;
        }
        finish();
        return true;
    }

    /** Throws unless the shell is still running: for operations such as {@link #resize}. */
    protected final void checkRunning()
            throws EngineException
    {
        synchronized (lock) {
            if (aborted) {
                throw new ShellAbortedException("the shell was aborted");
            }
            if (ended) {
                throw new ShellTerminatedException("the shell has ended");
            }
        }
    }

    /**
     * The checks of {@link #resize} before the engine's own work.
     *
     * @param tty whether the shell has a terminal
     * @throws FeatureNotSupportedException the shell has no terminal
     * @throws ShellAbortedException the shell was aborted
     * @throws ShellTerminatedException the shell has ended
     */
    protected final void checkResizable(boolean tty)
            throws EngineException
    {
        if (!tty) {
            throw new FeatureNotSupportedException("this shell has no terminal to resize");
        }
        checkRunning();
    }

    /** Whether the shell was aborted. */
    protected final boolean isAborted()
    {
        synchronized (lock) {
            return aborted;
        }
    }

    private void finish()
    {
        try {
            closeStreams();
        }
        finally {
            resource.release();
            done.countDown();
        }
    }
}
