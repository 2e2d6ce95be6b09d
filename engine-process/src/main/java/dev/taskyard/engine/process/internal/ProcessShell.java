package dev.taskyard.engine.process.internal;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.ShellAbortedException;
import dev.taskyard.engine.ShellTerminatedException;
import dev.taskyard.engine.support.AbstractSandbox;

import static java.util.Objects.requireNonNull;

/**
 * A shell of a process sandbox: a process in a session of its own, with plain pipes (no terminal). Aborting it, or
 * killing or resolving its sandbox, kills its whole session, so its output streams reach end-of-stream.
 *
 * <p>Thread-safe. The caller owns the three streams and must read (or close) both outputs.
 */
final class ProcessShell
        implements Shell, AbstractSandbox.Session
{
    private final SessionProcess process;
    private final Object lock = new Object();

    // guarded by lock
    private boolean aborted;

    ProcessShell(SessionProcess process)
    {
        this.process = requireNonNull(process, "process is null");
    }

    SessionProcess process()
    {
        return process;
    }

    @Override
    public OutputStream stdin()
    {
        return process.process().getOutputStream();
    }

    @Override
    public InputStream stdout()
    {
        return process.process().getInputStream();
    }

    @Override
    public InputStream stderr()
    {
        return process.process().getErrorStream();
    }

    /** Kills the shell's session; repeated aborts return normally. */
    @Override
    public void abort()
            throws EngineException
    {
        synchronized (lock) {
            if (!aborted && process.ended().isDone()) {
                throw new ShellTerminatedException("the shell has already ended");
            }
            aborted = true;
        }
        process.kill();
    }

    /** Aborts the shell for its sandbox; does nothing if it has already ended. Never blocks for long. */
    @Override
    public void abortSession()
    {
        synchronized (lock) {
            if (process.ended().isDone()) {
                return;
            }
            aborted = true;
        }
        process.kill();
    }

    @Override
    public boolean waitFor()
            throws EngineException, InterruptedException
    {
        int exit;
        try {
            exit = process.ended().get();
        }
        catch (ExecutionException e) {
            throw new NonFatalInternalErrorException("the process engine lost track of the shell: " + e.getCause(), e.getCause());
        }
        synchronized (lock) {
            if (aborted) {
                throw new ShellAbortedException("the shell was aborted");
            }
        }
        return exit == 0;
    }
}
