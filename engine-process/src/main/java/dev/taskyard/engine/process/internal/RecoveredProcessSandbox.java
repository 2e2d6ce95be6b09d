package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandbox;

/**
 * A recoverable task re-attached by an engine instance that did not start it ({@link ProcessEngine#recoverSandbox}):
 * the supervisor's session is not a child of this JVM, so a pool thread polls for the exit file the supervisor writes
 * (or for the leader's end, with its start time guarding against pid reuse), while a {@link FileTail} copies the output
 * file into the task log from the caller's offset. Once the task ended, the rest of its session is killed, the output
 * drained, and the termination reported: the recorded exit status, or a kill when the supervisor left none.
 * Kill and abort SIGKILL the whole session. No shells. Thread-safe (see {@link AbstractSandbox}).
 */
final class RecoveredProcessSandbox
        extends AbstractSandbox
{
    private static final long POLL_MILLIS = 10;
    private static final Duration SWEEP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(5);
    private static final Confinement NONE = new Confinement(Optional.empty(), false, Optional.empty(), List.of());

    private final ProcessEngine engine;
    private final Supervisor.Parsed task;
    private final WorkDir workDir;
    private final Slot slot;
    private final SandboxHandle handle;
    private final FileTail tail;
    private final String label;
    private final AtomicBoolean killed = new AtomicBoolean();
    private volatile boolean stopWatching;

    RecoveredProcessSandbox(ProcessEngine engine, TaskContext context, Supervisor.Parsed task, WorkDir workDir,
            Slot slot, SandboxHandle handle, long offset)
    {
        super(context);
        this.engine = engine;
        this.task = task;
        this.workDir = workDir;
        this.slot = slot;
        this.handle = handle;
        this.tail = new FileTail(Supervisor.output(task.state()), context.log(), offset);
        this.label = ProcessEngine.label(context);
    }

    /** Starts following the task. */
    void attach()
    {
        engine.execute(tail);
        engine.execute(this::watch);
        watchContext();
    }

    /** Whether the supervisor's session still runs: its leader with the recorded start time, or other members. */
    static boolean running(Supervisor.Parsed task)
    {
        return ProcSessions.startTime(task.session()) == task.start()
                || ProcSessions.members(task.session()).length > 0;
    }

    private void watch()
    {
        try {
            while (!stopWatching) {
                OptionalInt status = Supervisor.exitStatus(task.state());
                if (status.isPresent() || ProcSessions.startTime(task.session()) != task.start()) {
                    break;
                }
                Thread.sleep(POLL_MILLIS);
            }
            if (stopWatching) {
                return;
            }
            // the supervisor writes the exit file right before it exits: give a leader that just ended the same chance
            OptionalInt status = Supervisor.exitStatus(task.state());
            if (!ProcSessions.killUntilEmpty(task.session(), SWEEP_TIMEOUT)) {
                engine.logger().warn("{}: processes of the recovered session {} survived {} of SIGKILLs", label,
                        task.session(), SWEEP_TIMEOUT);
            }
            tail.finish();
            if (!tail.awaitEof(OUTPUT_GRACE)) {
                engine.logger().warn("{}: the output of the recovered session {} was not drained within {}", label,
                        task.session(), OUTPUT_GRACE);
            }
            Termination termination = status.isPresent()
                    ? ProcessSandbox.termination(status.getAsInt(), killed.get(), false) : Termination.signalled(9);
            terminated(termination,
                    effective -> new ProcessResultSet(effective, engine, context, workDir, NONE, slot, () -> {}));
        }
        catch (IOException e) {
            if (failed(new NonFatalInternalErrorException("the process engine lost track of the recovered task: " + e,
                    e))) {
                tail.finish();
                slot.release();
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Kills the session of an unresolved recovered task because its engine is disposed. */
    void killForDispose()
    {
        if (isResolved()) {
            return;
        }
        stopWatching = true;
        killed.set(true);
        ProcSessions.killUntilEmpty(task.session(), SWEEP_TIMEOUT);
        tail.finish();
    }

    @Override
    public SandboxHandle handle()
    {
        return handle;
    }

    @Override
    protected void killTask()
    {
        engine.logger().info("{}: killing the recovered session {}", label, task.session());
        killed.set(true);
        ProcSessions.killOnce(task.session());
    }

    @Override
    protected void abortTask()
            throws EngineException
    {
        engine.logger().info("{}: aborting the recovered session {}", label, task.session());
        stopWatching = true;
        try {
            killed.set(true);
            if (!ProcSessions.killUntilEmpty(task.session(), SWEEP_TIMEOUT)) {
                engine.logger().warn("{}: the recovered session {} did not end within {} of the abort", label,
                        task.session(), SWEEP_TIMEOUT);
            }
            tail.finish();
            tail.awaitEof(OUTPUT_GRACE);
            engine.discardWorkDir(workDir, context);
        }
        finally {
            slot.release();
        }
    }
}
