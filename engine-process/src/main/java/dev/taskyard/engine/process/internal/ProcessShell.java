package dev.taskyard.engine.process.internal;

import java.io.InputStream;
import java.io.OutputStream;

import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.support.AbstractShell;

import static java.util.Objects.requireNonNull;

/**
 * A shell of a process sandbox: a process in a session of its own, with plain pipes (no terminal). The state rules
 * come from {@link AbstractShell}; aborting the shell, or killing or resolving its sandbox, kills its whole session,
 * so its output streams reach end-of-stream.
 *
 * <p>Thread-safe. The caller owns the three streams and must read (or close) both outputs: the engine never closes
 * them, so output the shell wrote before it ended stays readable after {@link #waitFor()}.
 */
final class ProcessShell
        extends AbstractShell
{
    private final SessionProcess process;

    /** @param resource the shell's tracker entry (the session has its own, held until its processes are gone) */
    ProcessShell(SessionProcess process, ResourceTracker.Resource resource)
    {
        super(resource);
        this.process = requireNonNull(process, "process is null");
    }

    SessionProcess process()
    {
        return process;
    }

    /** The shell's session is gone (every process of it, not only the leader); ends the shell unless it was aborted. */
    void processEnded(boolean succeeded)
    {
        exited(succeeded);
    }

    @Override
    public OutputStream stdin()
    {
        return process.process().stdin();
    }

    @Override
    public InputStream stdout()
    {
        return process.process().stdout();
    }

    @Override
    public InputStream stderr()
    {
        return process.process().stderr();
    }

    /**
     * SIGKILLs the whole session without waiting; the sandbox waits for it to be gone before it releases its work dir.
     */
    @Override
    protected void kill()
    {
        process.kill();
    }

    /** Nothing to do: the streams are the caller's, and a killed session closes their other ends. */
    @Override
    protected void closeStreams()
    {
    }
}
