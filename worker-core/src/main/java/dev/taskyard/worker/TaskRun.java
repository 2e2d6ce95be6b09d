package dev.taskyard.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.InternalErrorException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.Incidents;
import dev.taskyard.plugin.internal.PluginManager;
import dev.taskyard.plugin.internal.StageErrors;
import dev.taskyard.plugin.internal.TaskPlugins;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import static java.util.Objects.requireNonNull;

/**
 * One run of one task, as a state machine:
 * <pre>
 * prepare → build → start → started → waiting → stopped → finished → resolved
 * </pre>
 * <ul>
 * <li><b>prepare</b> validates the whole payload, then creates the sandbox builder and the task plugins in one
 *     stage (see {@link PluginManager#prepare}); <b>build</b> runs the plugins' {@code buildSandbox};
 *     <b>start</b> starts the sandbox; <b>started</b> runs the plugins' {@code started}; <b>waiting</b> waits for
 *     the result; <b>stopped</b> runs the plugins' {@code stopped} (the task succeeds iff all return true);
 *     <b>finished</b> closes the log and runs the plugins' {@code finished}.</li>
 * <li>An error resolves the run as an exception at once: malformed payload → {@code malformed-payload} (every message
 *     goes to the task log), internal errors → {@code internal-error} (a fatal one also tells the worker to stop).
 *     A task killed at its deadline resolves as {@code deadline-exceeded} after its {@code stopped} stage.</li>
 * <li>{@link #abort(ExceptionReason)} may be called at any time from any thread: it resolves the run (unless it is
 *     already resolved) and cancels the task context, which makes the engine abort the sandbox and the current stage
 *     end. A {@code canceled} or {@code worker-shutdown} resolution is never overwritten.</li>
 * </ul>
 *
 * <p>{@link #run()} and {@link #dispose()} are called once each, in that order, by one thread (the run's owner);
 * {@link #abort}, {@link #stage()} and {@link #resolution()} are thread-safe.
 *
 * <p><b>Dispose order</b>: cancel the context and close the log → plugins' {@code exception(reason)} if the run is an
 * exception → plugins' {@code dispose} → discard the builder if it was never started → abort the sandbox if it
 * never returned a result (on {@link SandboxTerminatedException} fetch the result with {@code waitForResult}) →
 * dispose the result set → dispose the context. Every step runs even when an earlier one fails.
 */
public final class TaskRun
{
    private static final Logger LOG = LoggerFactory.getLogger(TaskRun.class);
    /**
     * Why a run the kernel ended for exceeding its memory limit ({@code Termination.outOfMemory()}) failed: a line of
     * its log, and the message of its failed resolution (the {@code error.detail} of the task API).
     */
    static final String OUT_OF_MEMORY = "the task ran out of memory: the kernel killed it for exceeding its memory "
            + "limit";
    private static final Stage[] ORDER =
            {Stage.PREPARE, Stage.BUILD, Stage.START, Stage.STARTED, Stage.WAITING, Stage.STOPPED, Stage.FINISHED};

    /** The stages, in order. */
    public enum Stage
    {
        PREPARE, BUILD, START, STARTED, WAITING, STOPPED, FINISHED, RESOLVED;

        public String id()
        {
            return name().toLowerCase();
        }
    }

    /**
     * What a run needs.
     *
     * @param plugins the worker's plugin manager (with the engine)
     * @param context the run's context; the run owns it from now on and disposes it
     * @param payload the whole task payload
     * @param reporter where plugins publish progress and results
     * @param scheduler for the deadline backstop; {@code null} for none
     * @param deadlineGrace how long after the context's deadline an unresolved run is aborted with
     *        {@code deadline-exceeded} (the engine kills the task at the deadline itself)
     */
    public record Options(PluginManager plugins, TaskContext context, JsonNode payload, TaskReporter reporter,
                          ScheduledExecutorService scheduler, Duration deadlineGrace)
    {
        public Options
        {
            requireNonNull(plugins, "plugins is null");
            requireNonNull(context, "context is null");
            requireNonNull(payload, "payload is null");
            requireNonNull(reporter, "reporter is null");
            requireNonNull(deadlineGrace, "deadlineGrace is null");
        }

        public Options(PluginManager plugins, TaskContext context, JsonNode payload, TaskReporter reporter)
        {
            this(plugins, context, payload, reporter, null, Duration.ZERO);
        }
    }

    /**
     * How a run gets its sandbox beyond the default: a sandbox recovered from an earlier process of the worker
     * ({@link dev.taskyard.engine.Engine#recoverSandbox}), which the run takes over instead of building and starting
     * one (the build and start stages then do nothing; the plugins' {@code started} hook sees the recovered sandbox),
     * and a listener told on the owner thread once a sandbox it started runs (before the plugins' {@code started}).
     *
     * @param recovered the recovered sandbox the run owns from now on, or empty to build one
     * @param onStarted called with the sandbox {@code startSandbox} returned; not called for a recovered sandbox. It
     *        must not throw.
     * @param onStarting called on the owner thread with the builder right before {@code startSandbox} (e.g. to store
     *        {@link SandboxBuilder#handle()}); not called for a recovered sandbox. It must not throw.
     */
    public record SandboxHooks(java.util.Optional<Sandbox> recovered, java.util.function.Consumer<Sandbox> onStarted,
            java.util.function.Consumer<SandboxBuilder> onStarting)
    {
        /** Build and start a sandbox; tell nobody. */
        public static final SandboxHooks NONE = new SandboxHooks(java.util.Optional.empty(), sandbox -> {});

        public SandboxHooks
        {
            requireNonNull(recovered, "recovered is null");
            requireNonNull(onStarted, "onStarted is null");
            requireNonNull(onStarting, "onStarting is null");
        }

        /** Hooks without a listener before the start. */
        public SandboxHooks(java.util.Optional<Sandbox> recovered, java.util.function.Consumer<Sandbox> onStarted)
        {
            this(recovered, onStarted, builder -> {});
        }
    }

    private final PluginManager manager;
    private final SandboxHooks hooks;
    private final TaskContext context;
    private final JsonNode payload;
    private final TaskReporter reporter;
    private final String engine;
    private final Object lock = new Object();
    private final ScheduledFuture<?> deadlineBackstop;

    // guarded by lock
    private Stage stage = Stage.PREPARE;
    private TaskResolution resolution;
    private SandboxBuilder builder;
    private Sandbox sandbox;
    private ResultSet resultSet;

    // owner thread only
    private TaskPlugins taskPlugins;
    private boolean success;
    // guarded by lock: the exit code of the task's main process, once its result set is known
    private java.util.OptionalInt exitCode = java.util.OptionalInt.empty();
    // guarded by lock: the engine reported that the kernel killed the task for exceeding its memory limit
    private boolean outOfMemory;
    private boolean ran;
    private boolean disposed;
    private volatile boolean fatal;
    private volatile boolean nonFatal;
    // guarded by lock: a detach was asked for (see detach()) and whether the run ended by it
    private boolean detachRequested;
    private boolean detached;

    public TaskRun(Options options)
    {
        this(options, SandboxHooks.NONE);
    }

    /** A run whose sandbox may be a recovered one (see {@link SandboxHooks}); it owns that sandbox from now on. */
    public TaskRun(Options options, SandboxHooks hooks)
    {
        requireNonNull(options, "options is null");
        this.hooks = requireNonNull(hooks, "hooks is null");
        this.sandbox = hooks.recovered().orElse(null);
        this.manager = options.plugins();
        this.context = options.context();
        this.payload = options.payload();
        this.reporter = options.reporter();
        this.engine = manager.payloadSchema().components().get(0).name();
        ScheduledFuture<?> backstop = null;
        if (options.scheduler() != null && context.deadline().isPresent()) {
            long delay = Duration.between(Instant.now(),
                    context.deadline().get().plus(options.deadlineGrace())).toNanos();
            backstop = options.scheduler()
                    .schedule(() -> abort(ExceptionReason.DEADLINE_EXCEEDED), Math.max(0, delay), TimeUnit.NANOSECONDS);
        }
        this.deadlineBackstop = backstop;
    }

    public TaskContext context()
    {
        return context;
    }

    /** The stage running now, or {@link Stage#RESOLVED}. */
    public Stage stage()
    {
        synchronized (lock) {
            return stage;
        }
    }

    /** The resolution, once the run is resolved (by its stages or by an abort). */
    public java.util.Optional<TaskResolution> resolution()
    {
        synchronized (lock) {
            return java.util.Optional.ofNullable(resolution);
        }
    }

    /**
     * Asks the run to let go of its sandbox without ending it, for a worker that stops while its engine can recover
     * the sandbox later ({@link dev.taskyard.engine.Feature#RECOVERY}): while the run starts its sandbox (then it lets
     * go once the sandbox started and the plugins' {@code started} hook ran) or waits for the task's result. If
     * {@link #isWaiting()}, the caller then interrupts the owner thread; the run ends without a resolution
     * ({@link #isDetached()}), and the owner must neither report nor {@linkplain #dispose() dispose} it: the task, its
     * log and its lease are left for a later process of the worker. A start that fails resolves the run as usual.
     * Thread-safe.
     *
     * @return false if the run is neither starting nor waiting for its result (it is then left as it is)
     */
    public boolean detach()
    {
        synchronized (lock) {
            boolean starting = stage == Stage.START || stage == Stage.STARTED;
            if (resolution != null || !(starting || stage == Stage.WAITING && sandbox != null)) {
                return false;
            }
            detachRequested = true;
            return true;
        }
    }

    /** Whether the run waits for the task's result (the stage in which a detach needs an interrupt). */
    public boolean isWaiting()
    {
        synchronized (lock) {
            return stage == Stage.WAITING && resolution == null;
        }
    }

    /**
     * Whether the run ended by a {@link #detach()}: its task still runs and nothing of it may be reported or disposed.
     */
    public boolean isDetached()
    {
        synchronized (lock) {
            return detached;
        }
    }

    /** Whether a fatal internal error was seen: the worker must stop. */
    public boolean sawFatalError()
    {
        return fatal;
    }

    /** Whether a non-fatal internal error was seen. */
    public boolean sawNonFatalError()
    {
        return nonFatal;
    }

    /**
     * Runs every stage until the run is resolved and returns the resolution. Called once, by the owner.
     */
    public TaskResolution run()
    {
        if (ran) {
            throw new IllegalStateException("run() was already called for " + context);
        }
        ran = true;
        MDC.put("taskId", context.taskId());
        MDC.put("runId", context.runId());
        try {
            for (Stage next : ORDER) {
                synchronized (lock) {
                    if (resolution != null) {
                        break;
                    }
                    stage = next;
                }
                try {
                    if (!runStage(next)) {
                        break;
                    }
                }
                catch (EngineException e) {
                    fail(next, e);
                    break;
                }
                catch (RuntimeException | Error e) {
                    String incident = Incidents.report(context, "unexpected error in the " + next.id() + " stage", e);
                    fatal = true;
                    resolve(ExceptionReason.INTERNAL_ERROR, "internal error (incident id " + incident + ")");
                    break;
                }
            }
            synchronized (lock) {
                if (resolution == null) {
                    resolution = success ? TaskResolution.completed()
                            : outOfMemory
                            ? TaskResolution.failed(TaskEndReason.OUT_OF_MEMORY).withMessage(OUT_OF_MEMORY)
                            : TaskResolution.failed();
                }
                if (resolution.exitCode().isEmpty()) {
                    resolution = resolution.withExitCode(exitCode);
                }
                stage = Stage.RESOLVED;
                return resolution;
            }
        }
        finally {
            MDC.remove("taskId");
            MDC.remove("runId");
        }
    }

    /**
     * Resolves the run as an exception with {@code reason}, unless it is already resolved, and cancels its context so
     * that the current stage ends. Thread-safe; returns at once.
     *
     * @return whether this call resolved the run
     */
    public boolean abort(ExceptionReason reason)
    {
        requireNonNull(reason, "reason is null");
        synchronized (lock) {
            if (resolution != null) {
                return false;
            }
            resolution = TaskResolution.exception(reason);
            // under the lock: run() returns the resolution (and dispose closes the log) only after this line is in
            // the log; written after the lock, a run that ended at once could lose it
            Incidents.writeTaskLog(context, "[taskyard] the task run was aborted: " + reason.id());
        }
        LOG.info("task {} run {} aborted: {}", context.taskId(), context.runId(), reason.id());
        context.cancel(reason.id());
        return true;
    }

    /** Ends the run without a resolution, leaving the sandbox running. Called with the lock held. */
    private boolean detachNow()
    {
        detached = true;
        resolution = TaskResolution.exception(ExceptionReason.WORKER_SHUTDOWN);
        LOG.info("task {} run {} detached from its sandbox, which keeps running", context.taskId(), context.runId());
        return false;
    }

    private boolean runStage(Stage next)
            throws EngineException
    {
        switch (next) {
            case PREPARE -> {
                PluginManager.Prepared prepared =
                        manager.prepare(context, payload, reporter, hooks.recovered().isEmpty());
                taskPlugins = prepared.plugins();
                synchronized (lock) {
                    builder = prepared.builder().orElse(null);
                }
                if (prepared.error().isPresent()) {
                    throw prepared.error().get();
                }
            }
            case BUILD -> {
                if (hooks.recovered().isEmpty()) {
                    taskPlugins.buildSandbox(currentBuilder());
                }
            }
            case START -> {
                if (hooks.recovered().isPresent()) {
                    return true;
                }
                SandboxBuilder starting = currentBuilder();
                hooks.onStarting().accept(starting);
                Sandbox started;
                try {
                    started = starting.startSandbox();
                }
                catch (Exception e) {
                    synchronized (lock) {
                        builder = null;
                    }
                    return engineError(next, e);
                }
                synchronized (lock) {
                    builder = null;
                    sandbox = started;
                }
                hooks.onStarted().accept(started);
            }
            case STARTED -> taskPlugins.started(currentSandbox());
            case WAITING -> {
                synchronized (lock) {
                    if (detachRequested && resolution == null) {
                        return detachNow(); // asked while the sandbox was being started
                    }
                }
                ResultSet result;
                try {
                    result = currentSandbox().waitForResult();
                }
                catch (InterruptedException e) {
                    synchronized (lock) {
                        if (detachRequested && resolution == null) {
                            return detachNow();
                        }
                    }
                    Thread.currentThread().interrupt();
                    abort(ExceptionReason.WORKER_SHUTDOWN);
                    return false;
                }
                catch (Exception e) {
                    return engineError(next, e);
                }
                synchronized (lock) {
                    sandbox = null;
                    resultSet = result;
                    exitCode = result.termination().exitCode();
                    outOfMemory = result.termination().outOfMemory();
                    if (detachRequested) {
                        // the result came first: the run goes on; the interrupt meant for the wait is
                        // not for later calls
                        detachRequested = false;
                        Thread.interrupted();
                    }
                }
                if (result.termination().outOfMemory()) {
                    Incidents.writeTaskLog(context, "[taskyard] " + OUT_OF_MEMORY);
                }
            }
            case STOPPED -> {
                ResultSet result;
                synchronized (lock) {
                    result = resultSet;
                }
                success = taskPlugins.stopped(result);
                if (result.termination().timedOut()) {
                    resolve(ExceptionReason.DEADLINE_EXCEEDED, "the task passed its deadline");
                    return false;
                }
            }
            case FINISHED -> {
                context.log().close();
                taskPlugins.finished(success);
            }
            default -> throw new IllegalStateException("not a runnable stage: " + next);
        }
        return true;
    }

    private boolean engineError(Stage failed, Exception error)
            throws EngineException
    {
        StageErrors.check(failed.id(), context, List.of(new HookExecutor.Outcome<>(engine, null, error)));
        // only an echo of an abort gets here; make sure the run is resolved
        resolve(ExceptionReason.INTERNAL_ERROR, "the " + failed.id() + " stage was interrupted");
        return false;
    }

    private void fail(Stage failed, EngineException error)
    {
        if (error instanceof MalformedPayloadException malformed) {
            for (String message : malformed.messages()) {
                Incidents.writeTaskLog(context, "[taskyard] malformed payload: " + message);
            }
            resolve(ExceptionReason.MALFORMED_PAYLOAD, "malformed payload: " + String.join("; ", malformed.messages()));
        }
        else if (error instanceof InternalErrorException internal) {
            if (internal.isFatal()) {
                fatal = true;
            }
            else {
                nonFatal = true;
            }
            resolve(ExceptionReason.INTERNAL_ERROR, internal.getMessage());
        }
        else if (StageErrors.isAbortEcho(context, error)) {
            resolve(ExceptionReason.INTERNAL_ERROR, "the " + failed.id() + " stage was interrupted");
        }
        else {
            String incident = Incidents.report(context, "unexpected error in the " + failed.id() + " stage", error);
            fatal = true;
            resolve(ExceptionReason.INTERNAL_ERROR, "internal error (incident id " + incident + ")");
        }
    }

    private void resolve(ExceptionReason reason, String why)
    {
        synchronized (lock) {
            if (resolution != null) {
                return;
            }
            resolution = TaskResolution.exception(reason).withMessage(why);
        }
        Incidents.writeTaskLog(context, "[taskyard] task resolved as exception/" + reason.id() + ": " + why);
    }

    private SandboxBuilder currentBuilder()
    {
        synchronized (lock) {
            return requireNonNull(builder, "no sandbox builder");
        }
    }

    private Sandbox currentSandbox()
    {
        synchronized (lock) {
            return requireNonNull(sandbox, "no sandbox");
        }
    }

    /**
     * Releases everything the run holds, in the documented order; every step runs even if an earlier one fails.
     * Called once, by the owner, after {@link #run()}.
     *
     * @throws FatalInternalErrorException a step failed in a way that requires the worker to stop
     * @throws NonFatalInternalErrorException a step failed with a non-fatal internal error
     */
    public void dispose()
            throws InternalErrorException
    {
        if (disposed) {
            return;
        }
        disposed = true;
        MDC.put("taskId", context.taskId());
        MDC.put("runId", context.runId());
        Cleanup cleanup = new Cleanup();
        try {
            if (deadlineBackstop != null) {
                deadlineBackstop.cancel(false);
            }
            TaskResolution resolved;
            SandboxBuilder leftBuilder;
            Sandbox leftSandbox;
            ResultSet leftResult;
            synchronized (lock) {
                if (resolution == null) {
                    resolution = TaskResolution.exception(ExceptionReason.INTERNAL_ERROR);
                }
                resolved = resolution;
                stage = Stage.RESOLVED;
                leftBuilder = builder;
                leftSandbox = sandbox;
                leftResult = resultSet;
                builder = null;
                sandbox = null;
                resultSet = null;
            }
            cleanup.step("close the log", () -> {
                context.cancel(resolved.reason().map(ExceptionReason::id).orElse("resolved"));
                context.log().close();
            });
            if (taskPlugins != null) {
                if (resolved.reason().isPresent()) {
                    cleanup.step("exception hooks", () -> taskPlugins.exception(resolved.reason().get()));
                }
                cleanup.step("dispose hooks", taskPlugins::dispose);
            }
            if (leftBuilder != null) {
                cleanup.step("discard the sandbox builder", leftBuilder::discard);
            }
            if (leftSandbox != null) {
                ResultSet[] fetched = new ResultSet[1];
                cleanup.step("abort the sandbox", () -> {
                    try {
                        leftSandbox.abort();
                    }
                    catch (SandboxTerminatedException e) {
                        try {
                            fetched[0] = leftSandbox.waitForResult();
                        }
                        catch (SandboxAbortedException violation) {
                            LOG.warn("contract violation by {}: waitForResult reported sandbox-aborted after abort "
                                    + "reported sandbox-terminated", engine, violation);
                        }
                    }
                });
                leftResult = leftResult == null ? fetched[0] : leftResult;
            }
            if (leftResult != null) {
                cleanup.step("dispose the result set", leftResult::dispose);
            }
            cleanup.step("dispose the context", context::dispose);
        }
        finally {
            MDC.remove("taskId");
            MDC.remove("runId");
        }
        cleanup.rethrow();
    }

    /** Runs cleanup steps, collecting the most severe error. */
    private final class Cleanup
    {
        private FatalInternalErrorException fatalError;
        private NonFatalInternalErrorException nonFatalError;

        @FunctionalInterface
        interface Step
        {
            void run()
                    throws Exception;
        }

        void step(String what, Step step)
        {
            try {
                step.run();
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                record(new NonFatalInternalErrorException("interrupted during cleanup: " + what, e));
            }
            catch (FatalInternalErrorException e) {
                record(e);
            }
            catch (NonFatalInternalErrorException e) {
                record(e);
            }
            catch (MalformedPayloadException e) {
                LOG.warn("malformed payload reported during cleanup ({}) of {}: {}", what, context, e.getMessage());
            }
            catch (Exception | Error e) {
                String incident = Incidents.report(context, "cleanup step \"" + what + "\" failed", e);
                record(new FatalInternalErrorException("cleanup step \"" + what
                        + "\" failed (incident id " + incident + ")", e));
            }
        }

        private void record(InternalErrorException error)
        {
            if (error instanceof FatalInternalErrorException f) {
                fatal = true;
                fatalError = fatalError == null ? f : fatalError;
            }
            else {
                nonFatal = true;
                nonFatalError = nonFatalError == null ? (NonFatalInternalErrorException) error : nonFatalError;
            }
        }

        void rethrow()
                throws InternalErrorException
        {
            if (fatalError != null) {
                throw fatalError;
            }
            if (nonFatalError != null) {
                throw nonFatalError;
            }
        }
    }
}
