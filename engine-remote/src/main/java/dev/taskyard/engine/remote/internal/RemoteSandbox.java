package dev.taskyard.engine.remote.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.taskyard.client.NotFoundException;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskError;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.client.WaitTimeoutException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandbox;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A submitted remote task, or one a fresh engine re-attached to from its {@linkplain #handle() handle} (the log copy
 * then starts at the byte the caller already stored). One watcher thread copies the remote log into the task log
 * (resuming with {@code Range} after a break, counting every byte written so none is repeated) until the remote task
 * ends, then resolves the sandbox with its final state. When the remote runs the task again (a new attempt after its
 * worker crashed), a line says so and the new run's log is copied from its start. {@code kill} cancels the remote
 * task in the background; {@code abort} cancels it and waits for its terminal state. Thread-safe.
 */
final class RemoteSandbox
        extends AbstractSandbox
{
    private static final Logger LOG = LoggerFactory.getLogger(RemoteSandbox.class);

    private final RemoteEngine engine;
    private final String remoteTaskId;
    private final int attempt;
    private final Slot slot;
    private final AtomicLong logPosition;
    private final SandboxHandle handle;
    private final Thread watcher;
    private volatile boolean stopping;

    /**
     * @param attempt the remote task's attempt when it was submitted (or when the recovered handle was made)
     * @param logOffset the first byte of that attempt's remote log to copy: 0 for a new task, the stored log's length
     *        for a recovered one
     */
    RemoteSandbox(RemoteEngine engine, TaskContext context, String remoteTaskId, int attempt, long logOffset,
            Slot slot)
    {
        super(context);
        this.engine = requireNonNull(engine, "engine is null");
        this.remoteTaskId = requireNonNull(remoteTaskId, "remoteTaskId is null");
        this.attempt = attempt;
        this.slot = requireNonNull(slot, "slot is null");
        this.logPosition = new AtomicLong(logOffset);
        this.handle = new RemoteHandle(engine.settings().baseUrl().toString(), remoteTaskId, attempt).toSandboxHandle();
        this.watcher = new Thread(this::watch, "taskyard-remote-" + remoteTaskId);
        this.watcher.setDaemon(true);
    }

    void start()
    {
        LOG.info("task run {} runs as remote task {} on {}", context, remoteTaskId, engine.settings().baseUrl());
        watcher.start();
        watchContext();
    }

    /**
     * The remote server's base URL, the remote task id and its attempt; the same handle on every call.
     *
     * @throws FeatureNotSupportedException the engine is not configured for recovery
     */
    @Override
    public SandboxHandle handle()
            throws FeatureNotSupportedException
    {
        if (!engine.settings().recovery()) {
            throw new FeatureNotSupportedException("this remote engine is not configured for recovery "
                    + "(\"recovery\": true)");
        }
        return handle;
    }

    // ---------------------------------------------------------------- the watcher

    private void watch()
    {
        try {
            resolve(follow());
        }
        catch (OutageTolerantCalls.StoppedException | InterruptedException e) {
            // abort took over
        }
        catch (NonFatalInternalErrorException e) {
            fail(e);
        }
        catch (NotFoundException e) {
            fail(new NonFatalInternalErrorException("remote task " + remoteTaskId + " vanished from "
                    + engine.settings().baseUrl() + " before it ended", e));
        }
        catch (TaskyardException e) {
            fail(RemoteEngine.refused("to report remote task " + remoteTaskId, e));
        }
        catch (RuntimeException e) {
            if (!stopping) {
                fail(new NonFatalInternalErrorException("following remote task " + remoteTaskId + " failed: " + e, e));
            }
        }
    }

    /** Copies the log until the remote task is terminal; returns its final state. */
    private Task follow()
            throws NonFatalInternalErrorException, InterruptedException, OutageTolerantCalls.StoppedException
    {
        OutputStream log = new LogCopy();
        OutageTolerantCalls calls = engine.calls();
        int copying = attempt;
        while (true) {
            calls.call("following the log of remote task " + remoteTaskId, () -> stopping,
                    client -> client.followLog(remoteTaskId, logPosition.get(), log));
            Task task = calls.call("reading remote task " + remoteTaskId, () -> stopping,
                    client -> client.get(remoteTaskId));
            if (task.attempt() != copying) {
                // the remote ran the task again (its worker crashed or stopped): the new run's log starts at byte 0
                copying = task.attempt();
                logPosition.set(0);
                LOG.info("remote task {} of {} runs again (attempt {}); copying its log from the start",
                        remoteTaskId, context, copying);
                context.log().writeLine("[taskyard] remote task " + remoteTaskId + " runs again (attempt " + copying
                        + "); its log starts again below");
                if (!task.isTerminal()) {
                    continue;
                }
            }
            if (task.isTerminal()) {
                // anything written between the end of the stream and the final state
                calls.call("reading the end of the log of remote task " + remoteTaskId, () -> stopping,
                        client -> client.followLog(remoteTaskId, logPosition.get(), log));
                return task;
            }
            // the stream ended early (the remote restarted, say): wait for a change, then resume the log
            try {
                calls.call("waiting for remote task " + remoteTaskId, () -> stopping,
                        client -> client.waitFor(remoteTaskId, engine.settings().poll().longPollWait().plusSeconds(1)));
            }
            catch (WaitTimeoutException ignored) {
                // still running; follow the log again
            }
        }
    }

    private void resolve(Task task)
    {
        Termination termination;
        switch (task.status()) {
            case COMPLETED -> termination = Termination.exited(task.exitCode().orElse(0));
            case CANCELED -> termination =
                    new Termination(OptionalInt.empty(), OptionalInt.empty(), true, false, false);
            case FAILED -> {
                String reason = task.error().map(TaskError::reason).orElse(TaskEndReason.TASK_FAILED.id());
                TaskEndReason known = TaskEndReason.fromId(reason).orElse(null);
                if (known == TaskEndReason.TASK_FAILED) {
                    // a server that does not report exit codes: any failure is 1
                    termination = Termination.exited(task.exitCode().orElse(1));
                }
                else if (known == TaskEndReason.OUT_OF_MEMORY) {
                    // the back's engine reported the kernel's kill for the memory limit: keep it an OOM here too
                    termination = new Termination(OptionalInt.empty(), OptionalInt.empty(), false, false, true);
                }
                else if (known == TaskEndReason.DEADLINE_EXCEEDED) {
                    termination = new Termination(OptionalInt.empty(), OptionalInt.empty(), true, true, false);
                }
                else {
                    String problem = task.error()
                            .map(error -> error.title() + (error.detail().isEmpty() ? "" : ": " + error.detail()))
                            .orElse("");
                    fail(new NonFatalInternalErrorException("remote task " + remoteTaskId + " ended with "
                            + reason + ": " + problem));
                    return;
                }
            }
            default -> throw new IllegalStateException("not a terminal state: " + task.status());
        }
        boolean mine = terminated(termination,
                effective -> new RemoteResultSet(engine, context, task, effective, slot));
        LOG.info("remote task {} of {} ended {}{}", remoteTaskId, context, task.status(),
                mine ? "" : " (already aborted)");
    }

    private void fail(NonFatalInternalErrorException error)
    {
        if (stopping) {
            return;
        }
        LOG.warn("task run {} lost remote task {}: {}", context, remoteTaskId, error.getMessage());
        slot.release();
        failed(error);
    }


    // ---------------------------------------------------------------- kill and abort

    @Override
    protected void killTask()
    {
        engine.inBackground(() -> {
            try {
                cancelRemote();
            }
            catch (EngineException | InterruptedException e) {
                LOG.warn("cancelling remote task {} of {} for a kill failed: {}", remoteTaskId,
                        context, e.getMessage());
            }
        });
    }

    @Override
    protected void abortTask()
            throws EngineException
    {
        stopping = true;
        watcher.interrupt();
        try {
            cancelRemote();
            Duration timeout = engine.settings().abortTimeout();
            try {
                engine.calls().call("waiting for cancelled remote task " + remoteTaskId,
                        client -> client.waitFor(remoteTaskId, timeout));
            }
            catch (WaitTimeoutException e) {
                throw new NonFatalInternalErrorException("remote task " + remoteTaskId + " did not end within "
                        + timeout.toSeconds() + " s of its cancellation", e);
            }
            catch (NotFoundException e) {
                // gone: nothing left to wait for
            }
            catch (TaskyardException e) {
                throw RemoteEngine.refused("to report cancelled remote task " + remoteTaskId, e);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonFatalInternalErrorException("interrupted while aborting remote task " + remoteTaskId, e);
        }
        finally {
            joinWatcher();
            slot.release();
        }
    }

    private void cancelRemote()
            throws EngineException, InterruptedException
    {
        try {
            engine.calls().call("cancelling remote task " + remoteTaskId, client -> client.cancel(remoteTaskId));
        }
        catch (NotFoundException e) {
            // already deleted remotely: nothing runs
        }
        catch (TaskyardException e) {
            throw RemoteEngine.refused("to cancel remote task " + remoteTaskId, e);
        }
    }

    private void joinWatcher()
    {
        try {
            watcher.join(TimeUnit.SECONDS.toMillis(30));
            if (watcher.isAlive()) {
                LOG.warn("the watcher of remote task {} did not stop within 30 s of its abort", remoteTaskId);
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes into the task log and counts what was written, so a resumed stream starts at the first byte not copied.
     */
    private final class LogCopy
            extends OutputStream
    {
        @Override
        public void write(int b)
                throws IOException
        {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len)
                throws IOException
        {
            if (context.log().isClosed()) {
                throw new IOException("the task log is closed");
            }
            context.log().write(b, off, len);
            logPosition.addAndGet(len);
        }
    }
}
