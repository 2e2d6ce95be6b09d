package dev.taskyard.engine.mock;

import java.util.Map;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandbox;

/**
 * A mock task re-attached by another engine instance: it follows the {@link MockRuns.Run} of the sandbox that
 * started the task, writing the task's output from the caller's offset to its own log, and resolves when the task
 * terminates. Kill and abort act on the task itself. No shells or displays. Thread-safe (see
 * {@link AbstractSandbox}).
 */
final class RecoveredMockSandbox
        extends AbstractSandbox
        implements MockRuns.Follower
{
    private final MockEngine engine;
    private final MockRuns.Run run;
    private final Slot slot;
    private final SandboxHandle handle;

    RecoveredMockSandbox(MockEngine engine, MockRuns.Run run, TaskContext context, Slot slot, SandboxHandle handle)
    {
        super(context);
        this.engine = engine;
        this.run = run;
        this.slot = slot;
        this.handle = handle;
    }

    /** Starts following the task; false if it is gone. */
    boolean attach(long offset)
    {
        watchContext();
        return run.follow(offset, this);
    }

    @Override
    public SandboxHandle handle()
    {
        return handle;
    }

    @Override
    public void output(byte[] bytes)
    {
        if (!isResolved()) {
            engine.writeLog(context, new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Override
    public void terminated(Termination termination, Map<String, byte[]> files)
    {
        terminated(termination,
                effective -> new MockResultSet(effective, files, slot, () -> run.gone("its result was collected")));
    }

    @Override
    public void gone(String why)
    {
        if (failed(new NonFatalInternalErrorException("the recovered mock task is gone: " + why))) {
            slot.release();
        }
    }

    @Override
    protected void killTask()
    {
        try {
            run.sandbox.kill();
        }
        catch (SandboxTerminatedException | SandboxAbortedException e) {
            // terminated (reported to this sandbox as it follows the run) or gone
        }
        catch (EngineException e) {
            throw new IllegalStateException("the mock failed to kill its task", e);
        }
    }

    @Override
    protected void abortTask()
            throws EngineException
    {
        run.unfollow(this);
        try {
            run.sandbox.abort();
        }
        catch (SandboxTerminatedException e) {
            // it terminated meanwhile: the abort still ends this run
        }
        finally {
            run.gone("it was aborted");
            slot.release();
        }
    }
}
