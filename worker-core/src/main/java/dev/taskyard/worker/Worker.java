package dev.taskyard.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.InternalErrorException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.TaskLog;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.plugin.PluginEnvironment;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.WorkerControl;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.PluginManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import static java.util.Objects.requireNonNull;

/**
 * Claims tasks from a {@link TaskQueue} and runs each as a {@link TaskRun}, up to
 * {@code min(worker.concurrency, engine max concurrency)} at once.
 *
 * <ul>
 * <li>A fixed set of task threads, created at start, each takes one task at a time and runs it itself, so that no
 *     task crosses threads. The threads waiting for a task share one queue claim at a time (see
 *     {@link SharedClaims}): one of them claims for all that wait (at most {@value #MAX_CLAIM_BATCH} tasks at once)
 *     and hands the extra claims to the others, so a backlog costs the queue one claim per batch of free threads
 *     rather than one per task; a task is claimed only for a thread that is free to run it. Leases are renewed by one
 *     periodic sweep; a lost lease aborts the run as {@code canceled}. A queue that pushes cancellations
 *     ({@link TaskQueue#onCancel}) aborts the run at once; the worker registers a run with it once the run has lasted
 *     100 ms (short runs cost the queue no registration), and a cancellation before then reaches the run at the
 *     registration.</li>
 * <li>For each task: run every stage, report the resolution (a {@code canceled} one is not reported: the queue
 *     knows), then dispose the run. A fatal internal error stops the worker at once; a non-fatal one is told to the
 *     plugins.</li>
 * <li>Plugin hooks run on the task thread and on the plugin manager's hook pool (see {@link HookExecutor}). A hook
 *     running past {@code hookTimeout} is a livelock: a fatal internal error. A hook that does not return even after
 *     its interrupt is a stuck thread, which Java cannot reclaim: it is reported with an incident id and counted
 *     ({@link #stuckThreads()}); when it is a task thread, its task is resolved as {@code internal-error} without it
 *     and the worker stops without waiting for it.</li>
 * <li>{@link #stopGracefully()}: no new claims; running tasks may finish within the grace period, then they are
 *     aborted with {@code worker-shutdown}. {@link #stopNow()}: they are aborted at once. Either way the worker then
 *     disposes its plugins and engine, and {@link #awaitTermination} returns.</li>
 * </ul>
 * Thread-safe. Life-cycle: {@link #create} → {@link #start()} → stop → {@link #awaitTermination}.
 */
public final class Worker
        implements WorkerControl
{
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** The most tasks one queue claim asks for (for that many free task threads). */
    static final int MAX_CLAIM_BATCH = 32;
    /** How long a run lasts before its cancellation is watched (see {@link #watchCancellationLater}). */
    static final Duration CANCEL_WATCH_DELAY = Duration.ofMillis(100);

    private enum State
    {
        CREATED, RUNNING, STOPPING, STOPPING_NOW, TERMINATED
    }

    private final WorkerConfig config;
    private final WorkerIdentity identity;
    private final TaskQueue queue;
    private final Path tempFolder;
    private final ResourceTracker tracker = new ResourceTracker();
    private final Engine engine;
    private final HookExecutor executor;
    private final ScheduledExecutorService scheduler;
    /** Makes the deferred cancel registrations (see {@link #watchCancellationLater}). */
    private final ScheduledThreadPoolExecutor watchScheduler;
    private volatile Duration cancelWatchDelay = CANCEL_WATCH_DELAY;
    private final PluginManager plugins;
    private final UnaryOperator<TaskLog> logWrapper;
    private final int concurrency;
    private final SharedClaims claims;
    private final List<TaskThread> threads = new ArrayList<>();
    private final AtomicInteger alive = new AtomicInteger();
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    /** Runs reclaimed at start, taken by the task threads before they claim anything new. */
    private final Queue<ReclaimedRun> reclaimed = new ConcurrentLinkedQueue<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.CREATED);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicLong completed = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    /** Runs left running for a later process of this worker (see {@link #detachOrAbortAll()}). */
    private final AtomicInteger detachedRuns = new AtomicInteger();
    private volatile ScheduledFuture<?> graceTimer;
    private volatile boolean graceOver;

    /** A running task: its run, its current lease and the task thread that runs it. */
    private static final class Running
    {
        final String key;
        final TaskRun run;
        final TaskThread owner;
        final Reporter reporter;
        volatile Lease lease;
        /** Set once the handle of the run's sandbox is stored: the run may be detached at a stop. */
        volatile boolean handleSaved;
        /** The handle saved for the run (by the task thread), or null. */
        volatile SandboxHandle savedHandle;
        /** Set by whoever reports the resolution first: the task thread, or the rescue of a stuck task thread. */
        final AtomicBoolean reported = new AtomicBoolean();
        /** Set by whoever releases the task's slot first (same two). */
        final AtomicBoolean released = new AtomicBoolean();

        Running(String key, TaskRun run, TaskThread owner, Reporter reporter, Lease lease)
        {
            this.key = key;
            this.run = run;
            this.owner = owner;
            this.reporter = reporter;
            this.lease = lease;
        }
    }

    private Worker(WorkerConfig config, TaskQueue queue, Path tempFolder, Engine engine, HookExecutor executor,
            ScheduledExecutorService scheduler,
                   PluginManager plugins)
    {
        this.config = config;
        this.identity = config.identity();
        this.queue = queue;
        this.tempFolder = tempFolder;
        this.engine = engine;
        this.executor = executor;
        this.scheduler = scheduler;
        this.plugins = plugins;
        this.watchScheduler = new ScheduledThreadPoolExecutor(1, runnable -> thread(runnable,
                "taskyard-worker-cancel-watch"));
        this.watchScheduler.setRemoveOnCancelPolicy(true);
        this.logWrapper = plugins.logWrapper();
        int engineMax = engine.capabilities().maxConcurrency();
        this.concurrency = engineMax == 0 ? config.concurrency() : Math.min(config.concurrency(), engineMax);
        this.claims = new SharedClaims(queue, Math.min(concurrency, MAX_CLAIM_BATCH));
    }

    /** Creates a worker with a folder-backed artifact store at {@link WorkerConfig#artifactsFolder()}. */
    public static Worker create(WorkerConfig config, EngineRegistry engines,
            PluginRegistry pluginRegistry, TaskQueue queue)
            throws EngineException
    {
        return create(config, engines, pluginRegistry, queue, new FolderArtifactStore(config.artifactsFolder()));
    }

    /**
     * Creates the engine and the plugins and checks that their payload schemas merge.
     *
     * @throws EngineException the engine or a plugin could not be created, or two components claim one payload key;
     *         everything created so far is disposed
     */
    public static Worker create(WorkerConfig config, EngineRegistry engines, PluginRegistry pluginRegistry,
            TaskQueue queue, ArtifactStore artifacts)
            throws EngineException
    {
        requireNonNull(config, "config is null");
        requireNonNull(queue, "queue is null");
        requireNonNull(artifacts, "artifacts is null");
        Path temp = config.tempFolder();
        try {
            Files.createDirectories(temp.resolve("engine"));
            // task logs spill here: the worker's alone (engines may run tasks on this host as other accounts)
            Files.setPosixFilePermissions(Files.createDirectories(temp.resolve("logs")),
                    PosixFilePermissions.fromString("rwx------"));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot create the worker folder " + temp, e);
        }
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = engines.createEngine(config.engineName(), config.engineConfig(),
                new EngineContext(temp.resolve("engine"),
                        LoggerFactory.getLogger("dev.taskyard.engine." + config.engineName()),
                        config.identity(), tracker));
        StuckHookHolder stuck = new StuckHookHolder();
        HookExecutor executor = new HookExecutor(new HookExecutor.Settings(config.hookTimeout()), stuck);
        ScheduledThreadPoolExecutor scheduler =
                new ScheduledThreadPoolExecutor(1, runnable -> thread(runnable, "taskyard-worker-timer"));
        scheduler.setRemoveOnCancelPolicy(true);
        WorkerControlHolder control = new WorkerControlHolder();
        try {
            PluginManager manager = PluginManager.create(new PluginManager.Options(pluginRegistry,
                    config.pluginsConfig(), "$.plugins", config.engineName(),
                    engine, new PluginEnvironment(config.identity(), temp, artifacts, control, scheduler), executor));
            Worker worker = new Worker(config, queue, temp, engine, executor, scheduler, manager);
            control.worker = worker;
            stuck.worker = worker;
            return worker;
        }
        catch (EngineException | RuntimeException e) {
            executor.close();
            scheduler.shutdownNow();
            engine.dispose();
            throw e;
        }
    }

    /** Hands plugin stop requests to the worker once it exists. */
    private static final class WorkerControlHolder
            implements WorkerControl
    {
        volatile Worker worker;

        @Override
        public void stopGracefully(String reason)
        {
            Worker target = worker;
            if (target != null) {
                target.stopGracefully(reason);
            }
        }

        @Override
        public void stopNow(String reason)
        {
            Worker target = worker;
            if (target != null) {
                target.stopNow(reason);
            }
        }
    }

    /** Hands stuck hooks to the worker once it exists. */
    private static final class StuckHookHolder
            implements HookExecutor.StuckListener
    {
        volatile Worker worker;

        @Override
        public void stuck(HookExecutor.StuckHook hook)
        {
            Worker target = worker;
            if (target != null) {
                target.stuck(hook);
            }
        }
    }

    /** Tasks run at once: the configured concurrency, capped by the engine's maximum. */
    public int concurrency()
    {
        return concurrency;
    }

    /** The merged payload schema of the engine and the enabled plugins. */
    public ObjectNode payloadSchema()
    {
        return plugins.payloadSchema().document();
    }

    /** Tasks run to the end (reported and disposed) since the start. */
    public long completedTasks()
    {
        return completed.get();
    }

    /**
     * Threads stuck in a plugin hook now: hooks that ran past {@code hookTimeout}, were interrupted and still had not
     * returned one more {@code hookTimeout} later. Java cannot reclaim such a thread; each is reported in the worker
     * log with an incident id. Operators should restart a worker that reports any.
     */
    public int stuckThreads()
    {
        return executor.stuckThreads();
    }

    /** Plugin hooks reported as livelocked (run past {@code hookTimeout}) since the start. */
    public long livelockedHooks()
    {
        return executor.livelocks();
    }

    /** Starts claiming tasks. Called once. */
    public void start()
    {
        if (!state.compareAndSet(State.CREATED, State.RUNNING)) {
            throw new IllegalStateException("the worker was already started");
        }
        reclaimRuns();
        long sweep = Math.max(TimeUnit.MILLISECONDS.toNanos(10), config.leaseDuration().toNanos() / 3);
        scheduler.scheduleWithFixedDelay(this::renewLeases, sweep, sweep, TimeUnit.NANOSECONDS);
        alive.set(concurrency);
        for (int i = 1; i <= concurrency; i++) {
            TaskThread taskThread = new TaskThread();
            taskThread.thread = thread(taskThread::loop, "taskyard-task-" + i);
            threads.add(taskThread);
        }
        threads.forEach(t -> t.thread.start());
        LOG.info("worker {}/{} started: engine {}, concurrency {}, plugins {}",
                identity.workerGroup(), identity.workerId(), config.engineName(), concurrency, plugins.enabled());
    }

    /**
     * Asks the queue for the runs this worker's identity held with a saved sandbox handle when its previous process
     * ended; the task threads offer each to the engine before claiming new tasks, and the engine is told which handles
     * the stored leases claim ({@link Engine#retainRecoverable}). Nothing happens unless the engine declares
     * {@link Feature#RECOVERY}.
     */
    private void reclaimRuns()
    {
        if (!engine.capabilities().supports(Feature.RECOVERY)) {
            return;
        }
        try {
            List<ReclaimedRun> runs = queue.reclaim(identity, config.leaseDuration());
            reclaimed.addAll(runs);
            if (!runs.isEmpty()) {
                LOG.info("worker {}: reclaimed {} runs its previous process left running; recovering them",
                        identity.workerId(), runs.size());
            }
        }
        catch (QueueException | RuntimeException e) {
            LOG.warn("worker {}: reclaiming the runs of its previous process failed; their leases expire and they "
                    + "run again: {}", identity.workerId(), e.getMessage(), e);
            return; // the stored leases still claim their sandboxes: the engine is not told anything
        }
        try {
            // what no stored lease claims is a leftover the engine may remove from now on
            engine.retainRecoverable(reclaimed.stream().map(ReclaimedRun::handle).toList());
        }
        catch (RuntimeException e) {
            LOG.warn("worker {}: telling the engine which runs it recovers failed: {}", identity.workerId(),
                    e.getMessage(), e);
        }
    }

    /** Stops claiming; running tasks may finish within the grace period, then are aborted. Idempotent. */
    public void stopGracefully()
    {
        stopGracefully("requested");
    }

    @Override
    public void stopGracefully(String reason)
    {
        if (state.compareAndSet(State.CREATED, State.STOPPING)) {
            shutdown();
        }
        else if (state.compareAndSet(State.RUNNING, State.STOPPING)) {
            LOG.info("worker {} stopping gracefully: {}", identity.workerId(), reason);
            try {
                graceTimer = scheduler.schedule(() -> {
                    graceOver = true;
                    if (!running.isEmpty()) {
                        LOG.warn("worker {}: {} tasks still running after the grace period; aborting them",
                                identity.workerId(), running.size());
                    }
                    detachOrAbortAll();
                }, config.shutdownGrace().toNanos(), TimeUnit.NANOSECONDS);
            }
            catch (RejectedExecutionException e) {
                // already shut down
            }
            wakeClaimers();
        }
    }

    /** Aborts every running task with {@code worker-shutdown} and stops. Idempotent. */
    public void stopNow()
    {
        stopNow("requested");
    }

    @Override
    public void stopNow(String reason)
    {
        State previous = state.getAndUpdate(s -> s == State.TERMINATED ? s : State.STOPPING_NOW);
        if (previous == State.STOPPING_NOW || previous == State.TERMINATED) {
            return;
        }
        LOG.warn("worker {} stopping now: {}", identity.workerId(), reason);
        abortAll(ExceptionReason.WORKER_SHUTDOWN);
        wakeClaimers();
        if (previous == State.CREATED) {
            shutdown();
        }
    }

    /** Waits until the worker has stopped and released everything; returns whether it has. */
    public boolean awaitTermination(Duration timeout)
            throws InterruptedException
    {
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void wakeClaimers()
    {
        for (TaskThread taskThread : threads) {
            taskThread.wake();
        }
    }

    /**
     * One task thread: claims a task, runs it, repeats until the worker stops. A stop interrupts the thread only
     * while it waits in {@code claim}: {@code claiming} is read and written under the thread's lock, and the thread
     * clears any interrupt as it leaves {@code claim}, so an interrupt never reaches a running task.
     */
    private final class TaskThread
    {
        Thread thread;
        private boolean claiming;
        /** Set once the thread no longer counts as alive: it ended, or it was abandoned while stuck in a hook. */
        final AtomicBoolean gone = new AtomicBoolean();

        /** Interrupts the thread while it runs a task (to end a detached run's wait). */
        void interruptRun()
        {
            synchronized (this) {
                if (!claiming) {
                    thread.interrupt();
                }
            }
        }

        void wake()
        {
            synchronized (this) {
                if (claiming) {
                    thread.interrupt();
                }
            }
        }

        void loop()
        {
            ClaimRequest request = new ClaimRequest(identity, 1, config.pollInterval(), config.leaseDuration());
            Instant idleSince = null;
            try {
                while (state.get() == State.RUNNING) {
                    ReclaimedRun recovering = reclaimed.poll();
                    if (recovering != null) {
                        process(recovering.claim(), this, recovering);
                        continue;
                    }
                    List<Claim> claims = claim(request);
                    if (claims.isEmpty()) {
                        if (active.get() == 0 && state.get() == State.RUNNING) {
                            idleSince = idleSince == null ? Instant.now() : idleSince;
                            plugins.reportIdle(Duration.between(idleSince, Instant.now()));
                        }
                        continue;
                    }
                    idleSince = null;
                    for (Claim claim : claims) {
                        process(claim, this, null);
                    }
                }
            }
            finally {
                leave();
            }
        }

        /** Stops counting this thread as alive (once); the last one shuts the worker down. */
        void leave()
        {
            if (gone.compareAndSet(false, true) && alive.decrementAndGet() == 0) {
                shutdown();
            }
        }

        private List<Claim> claim(ClaimRequest request)
        {
            synchronized (this) {
                if (state.get() != State.RUNNING) {
                    return List.of();
                }
                claiming = true;
            }
            try {
                return claims.take(request);
            }
            catch (InterruptedException e) {
                return List.of();
            }
            catch (QueueException | RuntimeException e) {
                LOG.warn("claiming tasks failed: {}", e.getMessage(), e);
                plugins.reportNonFatalError();
                pause();
                return List.of();
            }
            finally {
                synchronized (this) {
                    claiming = false;
                    Thread.interrupted();
                }
            }
        }

        private void pause()
        {
            synchronized (this) {
                if (state.get() != State.RUNNING) {
                    return;
                }
                try {
                    wait(Math.max(10, config.pollInterval().toMillis()));
                }
                catch (InterruptedException e) {
                    // woken by a stop
                }
            }
        }
    }

    /**
     * At the end of the grace period: a run whose sandbox the engine can recover and whose handle is stored is detached
     * (the task keeps running, its lease stays, a later process of this worker recovers it); every other run is
     * aborted.
     */
    private void detachOrAbortAll()
    {
        boolean recovers = engine.capabilities().supports(Feature.RECOVERY);
        for (Running task : running.values()) {
            if (recovers && task.handleSaved && task.run.detach()) {
                detachedRuns.incrementAndGet();
                if (task.run.isWaiting()) {
                    task.owner.interruptRun();
                }
            }
            else {
                task.run.abort(ExceptionReason.WORKER_SHUTDOWN);
            }
        }
    }

    private void abortAll(ExceptionReason reason)
    {
        for (Running task : running.values()) {
            task.run.abort(reason);
        }
    }

    private void shutdown()
    {
        if (state.getAndSet(State.TERMINATED) == State.TERMINATED) {
            return;
        }
        handBackUntaken();
        try {
            plugins.dispose();
        }
        catch (EngineException | RuntimeException e) {
            LOG.error("disposing the plugins failed", e);
        }
        ScheduledFuture<?> grace = graceTimer;
        if (grace != null) {
            grace.cancel(false);
        }
        if (detachedRuns.get() > 0) {
            // the engine still owns the detached tasks, which must outlive this process: it is not disposed
            LOG.warn("worker {}: {} tasks left running for recovery after a restart; the engine is not disposed",
                    identity.workerId(), detachedRuns.get());
        }
        else {
            try {
                engine.dispose();
            }
            catch (EngineException | RuntimeException e) {
                LOG.error("disposing the engine failed", e);
            }
        }
        executor.close();
        scheduler.shutdownNow();
        watchScheduler.shutdownNow();
        if (!tracker.isEmpty()) {
            LOG.warn("the engine still holds {}", tracker.live());
        }
        int stuckThreads = executor.stuckThreads();
        if (stuckThreads > 0) {
            LOG.error("worker {} stopped with {} threads stuck in plugin hooks; they cannot be reclaimed and are "
                    + "left behind", identity.workerId(), stuckThreads);
        }
        LOG.info("worker {} stopped after {} tasks", identity.workerId(), completed.get());
        terminated.countDown();
    }

    /**
     * Hands back the claims no task thread took before the stop (a claim for several threads whose threads left when
     * the stop interrupted their wait): the tasks are pending again at once, or, with a queue that cannot hand leases
     * back, once their leases expire.
     */
    private void handBackUntaken()
    {
        for (Claim claim : claims.drain()) {
            Lease lease = claim.lease();
            try {
                boolean handedBack = queue.release(lease);
                LOG.info("task {} run {}: claimed but not started before the stop; {}", lease.taskId(), lease.runId(),
                        handedBack ? "handed back" : "it runs again once its lease expires");
            }
            catch (QueueException | RuntimeException e) {
                LOG.warn("task {} run {}: claimed but not started before the stop; handing it back failed, it runs "
                        + "again once its lease expires: {}", lease.taskId(), lease.runId(), e.getMessage());
            }
        }
    }

    /** Queue claims the task threads ran so far (one per batch of free threads; empty ones included). */
    long queueClaims()
    {
        return claims.queueClaims();
    }

    /**
     * Re-attaches to the sandbox of a reclaimed run; empty if the engine cannot (the task is gone, the handle is not
     * the engine's, recovery is not supported, any error): the run is then handed back to run again.
     */
    private Optional<Sandbox> recover(ReclaimedRun reclaimedRun, TaskContext context)
    {
        Lease lease = reclaimedRun.claim().lease();
        try {
            Sandbox sandbox = engine.recoverSandbox(new RecoveryOptions(reclaimedRun.handle(), context,
                    reclaimedRun.logOffset()));
            LOG.info("task {} run {}: recovered its sandbox (attempt {}, log from byte {})", lease.taskId(),
                    lease.runId(), lease.attempt(), reclaimedRun.logOffset());
            return Optional.of(sandbox);
        }
        catch (ResourceNotFoundException e) {
            LOG.info("task {} run {}: its sandbox is gone ({}); running the task again", lease.taskId(),
                    lease.runId(), e.getMessage());
        }
        catch (EngineException | RuntimeException e) {
            LOG.warn("task {} run {}: recovering its sandbox failed; running the task again: {}", lease.taskId(),
                    lease.runId(), e.getMessage(), e);
        }
        try {
            if (!queue.release(lease)) {
                LOG.info("task {} run {}: the lease could not be handed back; the task runs again once it expires",
                        lease.taskId(), lease.runId());
            }
        }
        catch (QueueException | RuntimeException e) {
            LOG.warn("task {} run {}: handing the lease back failed; the task runs again once it expires: {}",
                    lease.taskId(), lease.runId(), e.getMessage());
        }
        return Optional.empty();
    }

    /**
     * Stores the handle a builder's sandbox will have, if the engine knows it before the start, so that a process
     * that ends during the start leaves a recoverable run rather than a task that may run twice.
     */
    private void saveSandbox(Reporter reporter, SandboxBuilder builder)
    {
        Running current = reporter.handle;
        if (current == null || !engine.capabilities().supports(Feature.RECOVERY)) {
            return;
        }
        try {
            Optional<SandboxHandle> handle = builder.handle();
            if (handle.isPresent()) {
                saveHandle(current, handle.get());
            }
        }
        catch (EngineException | RuntimeException e) {
            LOG.warn("task {} run {}: the builder's sandbox handle could not be read; it is saved after the start: "
                    + "{}", current.lease.taskId(), current.lease.runId(), e.getMessage());
        }
    }

    /** Stores the handle of a sandbox just started, so that a later process of this worker can recover it. */
    private void saveSandbox(Reporter reporter, Sandbox sandbox)
    {
        Running current = reporter.handle;
        if (current == null || !engine.capabilities().supports(Feature.RECOVERY)) {
            return;
        }
        try {
            saveHandle(current, sandbox.handle());
        }
        catch (EngineException | RuntimeException e) {
            LOG.warn("task {} run {}: saving its sandbox handle failed; the run cannot be recovered after a restart: "
                    + "{}", current.lease.taskId(), current.lease.runId(), e.getMessage());
        }
    }

    private void saveHandle(Running current, SandboxHandle handle)
    {
        if (current.handleSaved && handle.equals(current.savedHandle)) {
            return; // saved before the start
        }
        Lease lease = current.lease;
        try {
            current.handleSaved = queue.saveSandbox(lease, handle);
            current.savedHandle = current.handleSaved ? handle : null;
        }
        catch (LeaseLostException e) {
            LOG.info("task {} run {}: its sandbox handle was not saved, the lease is gone: {}", lease.taskId(),
                    lease.runId(), e.getMessage());
        }
        catch (QueueException | RuntimeException e) {
            LOG.warn("task {} run {}: saving its sandbox handle failed; the run cannot be recovered after a restart: "
                    + "{}", lease.taskId(), lease.runId(), e.getMessage());
        }
    }

    private void process(Claim claim, TaskThread owner, ReclaimedRun reclaimedRun)
    {
        Lease lease = claim.lease();
        Running handle = null;
        active.incrementAndGet();
        String key = lease.taskId() + "/" + lease.runId();
        MDC.put("taskId", lease.taskId());
        MDC.put("runId", lease.runId());
        try {
            TaskContext context = TaskContext.builder()
                    .taskId(lease.taskId())
                    .runId(lease.runId())
                    .deadline(claim.task().deadline().orElse(null))
                    .logSpillFolder(tempFolder.resolve("logs"))
                    .logCap(config.logCap())
                    .logWrapper(logWrapper)
                    .build();
            Optional<Sandbox> recovered = Optional.empty();
            if (reclaimedRun != null) {
                recovered = recover(reclaimedRun, context);
                if (recovered.isEmpty()) {
                    context.dispose();
                    return;
                }
            }
            Reporter reporter = new Reporter();
            TaskRun run = new TaskRun(new TaskRun.Options(plugins, context, claim.task().payload(), reporter,
                    scheduler, config.deadlineGrace()),
                    new TaskRun.SandboxHooks(recovered, sandbox -> saveSandbox(reporter, sandbox),
                            builder -> saveSandbox(reporter, builder)));
            handle = new Running(key, run, owner, reporter, lease);
            reporter.handle = handle;
            running.put(key, handle);
            if (state.get() == State.STOPPING_NOW || graceOver) {
                run.abort(ExceptionReason.WORKER_SHUTDOWN);
            }
            LOG.debug("task {} run {} {} (attempt {})", lease.taskId(), lease.runId(), recovered.isPresent()
                    ? "recovered" : "claimed", lease.attempt());
            try (TaskQueue.Subscription cancellation = watchCancellationLater(lease, run)) {
                TaskResolution resolution = run.run().withResult(reporter.result);
                if (run.isDetached()) {
                    LOG.info("task {} run {} left running for recovery (attempt {})", lease.taskId(),
                            lease.runId(), lease.attempt());
                    return;
                }
                if (handle.reported.compareAndSet(false, true)) {
                    report(handle, resolution);
                }
            }
            dispose(run);
        }
        catch (RuntimeException | Error e) {
            LOG.error("processing task {} run {} failed unexpectedly", lease.taskId(), lease.runId(), e);
            stopNow("unexpected error while processing a task");
        }
        finally {
            if (handle == null || handle.released.compareAndSet(false, true)) {
                running.remove(key);
                active.decrementAndGet();
            }
            if (handle != null) {
                completed.incrementAndGet();
            }
            MDC.remove("taskId");
            MDC.remove("runId");
        }
    }

    /**
     * Asks the queue to push a cancellation of the task to its run (see {@link TaskQueue#onCancel}), once the run has
     * lasted {@link #CANCEL_WATCH_DELAY}: a run that ends sooner costs the queue no registration (with a database, a
     * read per run). A cancellation in the meantime reaches the run when the registration is made (the queue tells a
     * registration for a cancelled task at once), so a push arrives at most that much later; the lease renewals stay
     * the backstop. The registrations run on a thread of their own (a slow queue must not hold up the lease
     * renewals of the timer thread); closing the result before one is made cancels it.
     */
    private TaskQueue.Subscription watchCancellationLater(Lease lease, TaskRun run)
    {
        DeferredWatch deferred = new DeferredWatch(() -> watchCancellation(lease, run));
        try {
            deferred.timer = watchScheduler.schedule(deferred::register, cancelWatchDelay.toNanos(),
                    TimeUnit.NANOSECONDS);
        }
        catch (RejectedExecutionException e) {
            deferred.register(); // the worker is stopping: register now, on this thread
        }
        return deferred;
    }

    /**
     * Replaces {@link #CANCEL_WATCH_DELAY} for the runs that start from now on; for tests, which pin the deferred
     * registration without depending on how fast the machine runs a task. Thread-safe.
     */
    void cancelWatchDelay(Duration delay)
    {
        requireNonNull(delay, "delay is null");
        cancelWatchDelay = delay;
    }

    /** A cancel registration made later (see {@link #watchCancellationLater}). Thread-safe. */
    private static final class DeferredWatch
            implements TaskQueue.Subscription
    {
        private final Supplier<TaskQueue.Subscription> watch;
        volatile ScheduledFuture<?> timer;
        // guarded by this
        private TaskQueue.Subscription subscription;
        private boolean closed;

        DeferredWatch(Supplier<TaskQueue.Subscription> watch)
        {
            this.watch = watch;
        }

        void register()
        {
            synchronized (this) {
                if (closed || subscription != null) {
                    return;
                }
            }
            TaskQueue.Subscription made = watch.get();
            synchronized (this) {
                if (!closed) {
                    subscription = made;
                    return;
                }
            }
            made.close(); // the run ended while the registration was made
        }

        @Override
        public void close()
        {
            TaskQueue.Subscription made;
            synchronized (this) {
                closed = true;
                made = subscription;
                subscription = null;
            }
            ScheduledFuture<?> scheduled = timer;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            if (made != null) {
                made.close();
            }
        }
    }

    /** Asks the queue to push a cancellation of the task to its run (see {@link TaskQueue#onCancel}). */
    private TaskQueue.Subscription watchCancellation(Lease lease, TaskRun run)
    {
        try {
            return queue.onCancel(lease, () -> {
                if (run.abort(ExceptionReason.CANCELED)) {
                    LOG.info("task {} run {} was cancelled; aborting it", lease.taskId(), lease.runId());
                }
            });
        }
        catch (QueueException | RuntimeException e) {
            LOG.warn("cannot watch task {} run {} for cancellation; its lease renewals will notice: {}",
                    lease.taskId(), lease.runId(), e.getMessage());
            return TaskQueue.Subscription.NONE;
        }
    }

    /**
     * A hook thread is stuck (see {@link HookExecutor}): called on the hook monitor thread, hands the rescue to the
     * worker's timer thread.
     */
    private void stuck(HookExecutor.StuckHook hook)
    {
        try {
            scheduler.execute(() -> rescue(hook));
        }
        catch (RejectedExecutionException e) {
            LOG.error("worker {} is stopped; the stuck thread {} is left as it is", identity.workerId(),
                    hook.thread().getName());
        }
    }

    /**
     * Deals with a stuck hook thread. A pool thread needs nothing more (its stage stopped waiting for it when the
     * livelock was reported). A stuck task thread cannot finish its task: its run is resolved as
     * {@code internal-error} here (unless it is resolved already), the resolution is reported unless the task thread
     * reported it, the task's context is cancelled (so the engine aborts the sandbox), the thread is abandoned (no
     * longer counted, so the worker can terminate without it) and the worker stops, as after any fatal error. The
     * abandoned run is never disposed: the stuck thread owns it.
     */
    private void rescue(HookExecutor.StuckHook hook)
    {
        TaskThread owner = null;
        for (TaskThread taskThread : threads) {
            if (taskThread.thread == hook.thread()) {
                owner = taskThread;
            }
        }
        if (owner == null || !hook.callerThread()) {
            LOG.error("a thread is stuck in {}'s {} hook (incident id {}); it cannot be reclaimed", hook.component(),
                    hook.stage(), hook.incidentId());
            return;
        }
        for (Running handle : running.values()) {
            if (handle.owner != owner) {
                continue;
            }
            Lease lease = handle.lease;
            handle.run.abort(ExceptionReason.INTERNAL_ERROR);
            if (handle.reported.compareAndSet(false, true)) {
                TaskResolution resolution =
                        handle.run.resolution().orElse(TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
                report(handle, resolution.withResult(handle.reporter.result));
            }
            if (handle.released.compareAndSet(false, true)) {
                running.remove(handle.key);
                active.decrementAndGet();
            }
            LOG.error("task {} run {}: its task thread {} is stuck in {}'s {} hook (incident id {}); the run is "
                    + "resolved without it and never disposed",
                    lease.taskId(), lease.runId(), hook.thread().getName(), hook.component(),
                            hook.stage(), hook.incidentId());
        }
        LOG.error("worker {}: task thread {} is stuck and abandoned; stopping", identity.workerId(),
                hook.thread().getName());
        stopNow("a task thread is stuck in " + hook.component() + "'s " + hook.stage() + " hook (incident id "
                + hook.incidentId() + ")");
        owner.leave();
    }

    private void report(Running handle, TaskResolution resolution)
    {
        Lease lease = handle.lease;
        if (resolution.reason().equals(Optional.of(ExceptionReason.CANCELED))) {
            LOG.info("task {} run {} canceled", lease.taskId(), lease.runId());
            return;
        }
        try {
            queue.resolve(lease, resolution);
            LOG.info("task {} run {} resolved: {}", lease.taskId(), lease.runId(), resolution);
        }
        catch (LeaseLostException e) {
            LOG.warn("task {} run {} resolved as {} but its lease is gone: {}", lease.taskId(), lease.runId(),
                    resolution, e.getMessage());
        }
        catch (QueueException | RuntimeException e) {
            LOG.error("reporting the resolution {} of task {} run {} failed", resolution,
                    lease.taskId(), lease.runId(), e);
            plugins.reportNonFatalError();
        }
    }

    private void dispose(TaskRun run)
    {
        boolean fatal = run.sawFatalError();
        boolean nonFatal = run.sawNonFatalError();
        try {
            run.dispose();
        }
        catch (FatalInternalErrorException e) {
            fatal = true;
        }
        catch (InternalErrorException e) {
            nonFatal = true;
        }
        fatal |= run.sawFatalError();
        nonFatal |= run.sawNonFatalError();
        if (fatal) {
            stopNow("a fatal internal error in task " + run.context().taskId());
        }
        else if (nonFatal) {
            plugins.reportNonFatalError();
        }
    }

    private void renewLeases()
    {
        for (Running task : running.values()) {
            Lease lease = task.lease;
            try {
                task.lease = queue.renew(lease);
            }
            catch (LeaseLostException e) {
                LOG.info("task {} run {} lost its lease ({}); aborting it", lease.taskId(), lease.runId(), e.reason());
                task.run.abort(ExceptionReason.CANCELED);
            }
            catch (QueueException | RuntimeException e) {
                LOG.warn("renewing the lease of task {} run {} failed; retrying: {}", lease.taskId(),
                        lease.runId(), e.getMessage());
            }
        }
    }

    /** Publishes a task's progress to the queue and keeps its result. Thread-safe. */
    private final class Reporter
            implements TaskReporter
    {
        volatile Running handle;
        volatile JsonNode result;

        @Override
        public void progress(int percent)
        {
            Running current = handle;
            if (current == null) {
                return;
            }
            try {
                queue.reportProgress(current.lease, percent);
            }
            catch (QueueException e) {
                LOG.debug("reporting progress of {} failed: {}", current.lease.taskId(), e.getMessage());
            }
        }

        @Override
        public void result(JsonNode document)
        {
            result = document;
        }
    }

    private static Thread thread(Runnable runnable, String name)
    {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
