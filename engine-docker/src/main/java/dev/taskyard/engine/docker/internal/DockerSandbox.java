package dev.taskyard.engine.docker.internal;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.WaitResponse;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandbox;

import static java.util.Objects.requireNonNull;

/**
 * A running container. The resolution rules come from {@link AbstractSandbox}; this class maps them to the daemon:
 * a wait stream reports the exit, after which the log stream is drained to its end and the container inspected (for
 * the OOM killer) before the sandbox resolves; {@link #kill()} sends SIGKILL; {@link #abort()} kills and removes
 * the container. Shells are {@code docker exec} sessions that end with the sandbox. A sandbox recovered by a later
 * engine ({@link DockerEngine#recoverSandbox}) is the same class over the same container; its log stream follows
 * the daemon's log of the container instead of an attachment.
 *
 * <p>Thread-safe. Owns the container, its log stream and the {@link Slot} until it resolves; a natural exit hands
 * the container and the slot to the {@link DockerResultSet}.
 */
final class DockerSandbox
        extends AbstractSandbox
{
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    private static final int SIGKILL = 9;

    private final DockerEngine engine;
    private final ContainerHandle container;
    private final LogPump pump;
    private final Slot slot;
    private final WaitStream wait = new WaitStream();
    private final SandboxHandle handle;
    private volatile boolean killSent;

    DockerSandbox(DockerEngine engine, TaskContext context, ContainerHandle container, LogPump pump, Slot slot)
    {
        super(context);
        this.engine = requireNonNull(engine, "engine is null");
        this.container = requireNonNull(container, "container is null");
        this.pump = requireNonNull(pump, "pump is null");
        this.slot = requireNonNull(slot, "slot is null");
        this.handle = new RecoveryHandle(container.name()).toHandle();
    }

    /** Starts following the context and waiting for the container's exit. Call once, right after the start. */
    void begin()
    {
        watchContext();
        try {
            engine.client().waitContainerCmd(container.id()).exec(wait);
        }
        catch (RuntimeException e) {
            wait.onError(e);
        }
    }

    /** The container's name ({@link RecoveryHandle}), unless the config turned recovery off. */
    @Override
    public SandboxHandle handle()
            throws EngineException
    {
        if (!engine.config().recovery()) {
            throw new FeatureNotSupportedException("this Docker engine's config turns recovery off "
                    + "(\"recovery\": false)");
        }
        return handle;
    }

    @Override
    protected void killTask()
    {
        killSent = true;
        container.kill();
    }

    @Override
    protected void abortTask()
            throws EngineException
    {
        engine.logger().info("task {} run {}: aborting container {}", context.taskId(),
                context.runId(), container.shortId());
        wait.close();
        pump.close();
        try {
            container.remove();
        }
        finally {
            slot.release();
        }
    }

    @Override
    public Shell newShell(List<String> command, boolean tty)
            throws EngineException
    {
        requireNonNull(command, "command is null");
        checkRunning();
        try {
            return openShell(command, tty);
        }
        catch (SandboxTerminatedException e) {
            checkRunning(); // an abort that raced the exec is reported as such
            throw e;
        }
    }

    private Shell openShell(List<String> command, boolean tty)
            throws EngineException
    {
        return DockerShell.open(engine, context, container, command, tty, new SessionRegistry()
        {
            @Override
            public void add(Session session)
                    throws EngineException
            {
                addSession(session);
            }

            @Override
            public void remove(Session session)
            {
                removeSession(session);
            }
        });
    }

    /** How a shell joins and leaves the sandbox's sessions. */
    interface SessionRegistry
    {
        void add(Session session)
                throws EngineException;

        void remove(Session session);
    }

    private void exited(long statusCode)
    {
        try {
            if (!pump.awaitEnded(DRAIN_TIMEOUT)) {
                engine.logger().warn("task {} run {}: the log stream of container {} did not end within {} s "
                        + "of its exit; closing it",
                        context.taskId(), context.runId(), container.shortId(), DRAIN_TIMEOUT.toSeconds());
                pump.close();
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean outOfMemory = false;
        try {
            InspectContainerResponse inspected = engine.client().inspectContainerCmd(container.id()).exec();
            outOfMemory = Boolean.TRUE.equals(inspected.getState().getOOMKilled());
        }
        catch (RuntimeException e) {
            // gone: aborted meanwhile (then terminated() below refuses) or removed by the engine's disposal
            if (!DockerErrors.isNotFound(e) && !isResolved() && !engine.isDisposed()) {
                engine.logger().warn("task {} run {}: inspecting container {} after its exit failed: {}",
                        context.taskId(), context.runId(), container.shortId(), DockerErrors.reason(e));
            }
        }
        Termination termination = termination(statusCode, outOfMemory);
        boolean resolved = terminated(termination,
                effective -> new DockerResultSet(engine, effective, container, slot, context));
        if (resolved) {
            engine.logger().info("task {} run {}: container {} exited with {}{}", context.taskId(), context.runId(),
                    container.shortId(), statusCode, outOfMemory ? " (killed by the OOM killer)" : "");
        }
    }

    private Termination termination(long statusCode, boolean outOfMemory)
    {
        int code = (int) statusCode;
        // 128+9 after a SIGKILL (ours, or the OOM killer's) is reported as the signal, not as an exit code
        boolean signalled = code == 128 + SIGKILL && (outOfMemory || killSent);
        OptionalInt exitCode = signalled ? OptionalInt.empty() : OptionalInt.of(code);
        OptionalInt signal = signalled ? OptionalInt.of(SIGKILL) : OptionalInt.empty();
        return new Termination(exitCode, signal, false, false, outOfMemory);
    }

    private void lost(Throwable error)
    {
        if (isResolved()) {
            return;
        }
        RuntimeException cause = error instanceof RuntimeException runtime ? runtime : new RuntimeException(error);
        NonFatalInternalErrorException failure = DockerErrors.internal(engine.config().socket(),
                "report the exit of container " + container.shortId() + " of task " + context.taskId(), cause);
        pump.close();
        container.removeQuietly();
        slot.release();
        if (failed(failure)) {
            engine.logger().warn("task {} run {}: {}", context.taskId(), context.runId(), failure.getMessage());
        }
    }

    /** The daemon's answer to "wait until the container stops". */
    private final class WaitStream
            extends StreamCallback<WaitResponse>
    {
        private volatile Long statusCode;

        @Override
        public void onNext(WaitResponse response)
        {
            statusCode = response.getStatusCode() == null ? null : response.getStatusCode().longValue();
        }

        @Override
        protected void onEnd()
        {
            if (isClosed()) {
                return; // the abort stopped waiting
            }
            Long code = statusCode;
            Throwable error = error().orElse(null);
            Runnable report = () -> {
                if (code != null) {
                    exited(code);
                }
                else {
                    lost(error != null ? error
                            : new IllegalStateException("the wait stream ended without an exit code"));
                }
            };
            try {
                engine.executor().execute(report);
            }
            catch (java.util.concurrent.RejectedExecutionException e) {
                report.run(); // the engine is being disposed: report on this thread
            }
        }
    }
}
