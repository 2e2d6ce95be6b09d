package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.TaskLog;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.engine.support.AbstractEngine;
import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * The process engine: runs every task as a host process in its own session and its own fresh work dir, with a clean
 * environment; how processes start is the {@link Spawner}'s choice ({@code posix_spawn} or {@code ProcessBuilder}
 * and {@code setsid}). Protections beyond that come from {@link Isolation}.
 *
 * <p>Crash recovery: every work dir and every session started in it is recorded in a state file under the root
 * folder ({@link Leftovers}); an engine starting on a root cleans up what an engine in a JVM that has since died left
 * there (kills its sessions' processes, deletes its work dirs).
 *
 * <p>The payload check, the disposed state and the concurrency slots (one per sandbox, tracked as
 * {@code process-sandbox}) come from {@link AbstractEngine}: the slot passes from the builder to the sandbox to the
 * result set, whoever holds it last releases it.
 *
 * <p>Thread-safe, except {@link #dispose()}, which the host calls once everything the engine made is disposed
 * (it still kills and deletes whatever was leaked, and logs it). The engine owns a cached pool of daemon threads
 * (one output pump and one waiter per running process), shut down by {@code dispose}.
 */
public final class ProcessEngine
        extends AbstractEngine<TaskPayload>
{
    private static final Duration DISPOSE_WAIT = Duration.ofSeconds(15);
    private static final AtomicInteger ENGINES = new AtomicInteger();

    private final EngineConfig config;
    private final Logger logger;
    private final ExecutorService pool;
    private final Set<RecoveredProcessSandbox> recovered = ConcurrentHashMap.newKeySet();
    private final Path root;
    private final boolean defaultRoot;
    private final dev.taskyard.engine.ResourceTracker.Resource rootResource;
    private final Set<SessionProcess> liveProcesses = ConcurrentHashMap.newKeySet();
    private final Set<WorkDir> liveWorkDirs = ConcurrentHashMap.newKeySet();
    private final Set<Confinement> liveConfinements = ConcurrentHashMap.newKeySet();
    private final Leftovers leftovers;
    private final Isolation isolation;
    private final Spawner spawner;

    private ProcessEngine(EngineConfig config, EngineContext context, JsonSchema payloadSchema, Path root,
            boolean defaultRoot, Leftovers leftovers, Isolation isolation, Spawner spawner)
    {
        super(context, "process-sandbox", payloadSchema, config.recovery()
                ? Capabilities.of(config.maxConcurrency(), Feature.ENVIRONMENT_VARIABLES, Feature.ARTIFACTS,
                        Feature.SHELLS, Feature.RECOVERY)
                : Capabilities.of(config.maxConcurrency(), Feature.ENVIRONMENT_VARIABLES,
                        Feature.ARTIFACTS, Feature.SHELLS));
        this.leftovers = leftovers;
        this.isolation = isolation;
        this.spawner = spawner;
        this.config = config;
        this.logger = context.logger();
        this.root = root;
        this.defaultRoot = defaultRoot;
        this.rootResource = context.tracker().acquire("folder", "process engine root " + root);
        this.pool = Executors.newCachedThreadPool(daemonThreads("taskyard-process-" + ENGINES.incrementAndGet()));
    }

    /**
     * Creates an engine after checking the host: {@code /usr/bin/setsid} must be executable and {@code /proc}
     * readable (Linux only), and the root folder must be creatable.
     *
     * @throws FatalInternalErrorException the host cannot run the engine
     */
    public static ProcessEngine create(EngineConfig config, EngineContext context, JsonSchema payloadSchema)
            throws EngineException
    {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        requireNonNull(payloadSchema, "payloadSchema is null");
        if (!Files.isExecutable(Path.of(Launcher.SETSID))) {
            throw new FatalInternalErrorException("the process engine needs " + Launcher.SETSID
                    + " (util-linux), which is missing");
        }
        if (!Files.isReadable(Path.of("/proc/self/stat"))) {
            throw new FatalInternalErrorException("the process engine needs a Linux /proc file system, which is not "
                    + "readable");
        }
        boolean defaultRoot = config.rootFolder().isEmpty();
        Path root = config.rootFolder().orElse(context.tempFolder().resolve("process-engine"));
        try {
            root = Files.createDirectories(root).toRealPath();
        }
        catch (IOException e) {
            throw new FatalInternalErrorException("cannot create the process engine's root folder " + root + ": " + e,
                    e);
        }
        Leftovers leftovers;
        try {
            leftovers = new Leftovers(root, context.logger());
        }
        catch (IOException e) {
            throw new FatalInternalErrorException("cannot create the process engine's state folder in " + root + ": "
                    + e, e);
        }
        int cleaned = leftovers.cleanUp(root, config.recovery());
        if (cleaned > 0) {
            context.logger().warn("process engine: cleaned up {} work dirs (and their processes) left by an engine "
                    + "that crashed", cleaned);
        }
        Isolation isolation = Isolation.create(config.isolation(), context.logger());
        if (config.recovery() && (isolation.switchesUser() || isolation.hasCgroups() || isolation.bubblewrap())) {
            throw new InvalidConfigException("engine \"process\"", List.of(new Violation("$.recovery", "const",
                    "recovery works only without isolation (runAs, cgroups and bubblewrap are not supported with it "
                            + "yet)")));
        }
        if (isolation.switchesUser()) {
            try {
                WorkDir.makeSearchable(root, context.logger());
            }
            catch (IOException e) {
                throw new FatalInternalErrorException("cannot let task accounts reach the root folder " + root + ": "
                        + e, e);
            }
        }
        Spawner spawner = Spawner.create(config.spawn(), context.logger());
        ProcessEngine engine =
                new ProcessEngine(config, context, payloadSchema, root, defaultRoot, leftovers, isolation, spawner);
        engine.logger.info("process engine started: root folder {}, maxConcurrency {}, keepWorkDirs {}, processes "
                + "start through {}", root, config.maxConcurrency(), config.keepWorkDirs(), spawner);
        return engine;
    }

    /** Parses the command and working folder, and the task's cgroup limits (checked against the configured maxima). */
    @Override
    protected TaskPayload parsePayload(SandboxOptions options)
            throws MalformedPayloadException
    {
        return TaskPayload.parse(options.payload(), config.isolation().limits());
    }

    @Override
    protected SandboxBuilder newSandboxBuilder(TaskPayload payload, TaskContext task, Slot slot)
    {
        logger.debug("{}: sandbox builder created for {}", label(task), payload.command());
        return new ProcessSandboxBuilder(this, task, payload, slot);
    }

    /**
     * Kills every process still alive, releases every confinement, deletes every work dir left (and the root folder
     * when it is the default one), then stops the thread pool.
     *
     * @throws NonFatalInternalErrorException a work dir or a confinement could not be removed (the rest was)
     */
    @Override
    protected void disposeEngine()
            throws EngineException
    {
        for (RecoveredProcessSandbox sandbox : recovered) {
            sandbox.killForDispose();
        }
        for (SessionProcess leaked : liveProcesses) {
            if (!leaked.ended().isDone()) {
                logger.warn("process engine disposed while {} is alive: killing it", leaked);
                leaked.kill();
            }
        }
        for (SessionProcess leaked : liveProcesses) {
            leaked.awaitEnded(DISPOSE_WAIT);
        }
        boolean clean = true;
        for (Confinement leaked : liveConfinements) {
            try {
                leaked.release(isolation);
            }
            catch (IOException e) {
                clean = false;
                logger.warn("process engine disposed: {}", e.getMessage(), e);
            }
        }
        for (WorkDir leaked : liveWorkDirs) {
            logger.warn("process engine disposed while the work dir {} is in use: removing it", leaked);
            clean &= discardQuietly(leaked);
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(DISPOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                logger.warn("process engine threads still busy after {}; interrupting them", DISPOSE_WAIT);
                pool.shutdownNow();
            }
        }
        catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (defaultRoot && !config.keepWorkDirs()) {
            try {
                WorkDir.deleteTree(root);
            }
            catch (IOException e) {
                clean = false;
                logger.warn("cannot delete the process engine's root folder {}", root, e);
            }
        }
        rootResource.release();
        logger.info("process engine disposed");
        if (!clean) {
            throw new NonFatalInternalErrorException("the process engine could not delete every work dir under "
                    + root);
        }
    }

    // ---------------------------------------------------------------- for the sandboxes of this engine

    Logger logger()
    {
        return logger;
    }

    EngineConfig config()
    {
        return config;
    }

    /** Creates the work dir of a task. */
    WorkDir newWorkDir(TaskContext task)
            throws EngineException
    {
        try {
            WorkDir workDir = WorkDir.create(root, task.taskId(), task.runId(), context().tracker());
            liveWorkDirs.add(workDir);
            try {
                leftovers.recordWorkDir(workDir);
            }
            catch (IOException e) {
                discardQuietly(workDir);
                throw e;
            }
            return workDir;
        }
        catch (IOException e) {
            logger.warn("{}: cannot create a work dir under {}", label(task), root, e);
            throw new NonFatalInternalErrorException("cannot create the task's work dir under " + root + ": " + e, e);
        }
    }

    /** Deletes a work dir, or keeps it when so configured. */
    void discardWorkDir(WorkDir workDir, TaskContext task)
            throws EngineException
    {
        if (config.keepWorkDirs()) {
            workDir.keep();
            liveWorkDirs.remove(workDir);
            leftovers.forget(workDir);
            logger.info("{}: work dir kept at {}", label(task), workDir);
            return;
        }
        try {
            workDir.delete();
            liveWorkDirs.remove(workDir);
            WorkDir.deleteTree(recoveryRoot().resolve(workDir.path().getFileName().toString()));
            leftovers.forget(workDir);
        }
        catch (IOException e) {
            logger.warn("{}: cannot delete the work dir {}", label(task), workDir, e);
            throw new NonFatalInternalErrorException("cannot delete the task's work dir " + workDir + ": " + e, e);
        }
    }

    /** The environment of a task: PATH, HOME and TMPDIR, overridden by what the builder declared. */
    Map<String, String> environment(WorkDir workDir, Map<String, String> declared)
    {
        Map<String, String> environment = new HashMap<>();
        environment.put("PATH", config.defaultPath());
        environment.put("HOME", workDir.path().toString());
        environment.put("TMPDIR", workDir.tmp().toString());
        environment.putAll(declared);
        return Map.copyOf(environment);
    }

    /**
     * Checks that {@code argv0} names an executable file the way {@code execvp} will look it up: as a path when it
     * contains a slash (relative to {@code directory}), otherwise in each folder of {@code path}.
     *
     * @throws MalformedPayloadException no such executable
     */
    static void checkExecutable(String argv0, Path directory, String path)
            throws MalformedPayloadException
    {
        if (argv0.contains("/")) {
            if (isExecutableFile(directory.resolve(argv0))) {
                return;
            }
            throw new MalformedPayloadException("the command \"" + argv0 + "\" is not an executable file");
        }
        for (String folder : (path == null ? "" : path).split(":", -1)) {
            if (isExecutableFile(directory.resolve(folder).resolve(argv0))) {
                return;
            }
        }
        throw new MalformedPayloadException("the command \"" + argv0 + "\" was not found in the task's PATH " + path);
    }

    /**
     * Confines a new task: its account (the work dir becomes its own), its cgroup with {@code limits}, its
     * bubblewrap arguments; all recorded for crash recovery. On failure nothing is left.
     *
     * @param directory where the task starts (created, inside the work dir)
     */
    Confinement confine(WorkDir workDir, Path directory, TaskLimits limits)
            throws IOException
    {
        Optional<Users.Account> account = isolation.newAccount(workDir.path());
        boolean fresh = account.isPresent() && isolation.isFresh(account.get());
        Optional<TaskCgroup> cgroup = Optional.empty();
        try {
            if (fresh) {
                leftovers.recordAccount(workDir, account.get());
            }
            if (account.isPresent()) {
                workDir.handTo(account.get(), directory);
            }
            cgroup = isolation.newCgroup(workDir.path().getFileName().toString(), limits);
            if (cgroup.isPresent()) {
                leftovers.recordCgroup(workDir, cgroup.get());
            }
            List<String> bubblewrap = isolation.bubblewrap()
                    ? Bubblewrap.arguments(root, workDir.path(), directory, isolation.allowNetwork())
                    : List.of();
            Confinement confinement = new Confinement(account, fresh, cgroup, bubblewrap);
            liveConfinements.add(confinement);
            return confinement;
        }
        catch (IOException | RuntimeException e) {
            try {
                new Confinement(account, fresh, cgroup, List.of()).release(isolation);
            }
            catch (IOException inner) {
                e.addSuppressed(inner);
            }
            throw e;
        }
    }

    /** Kills what is left of a task's confinement and deletes it; logs and reports failures. */
    void release(Confinement confinement, TaskContext task)
            throws EngineException
    {
        try {
            confinement.release(isolation);
            liveConfinements.remove(confinement);
        }
        catch (IOException e) {
            liveConfinements.remove(confinement);
            logger.warn("{}: {}", label(task), e.getMessage(), e);
            throw new NonFatalInternalErrorException(e.getMessage(), e);
        }
    }

    /** Whether tasks run under a {@link Supervisor} and can be recovered. */
    boolean recovers()
    {
        return config.recovery();
    }

    /** The folder of the supervisors' state folders: outside every work dir, so that no artifact shows them. */
    Path recoveryRoot()
    {
        return root.resolve(Leftovers.RECOVERY_FOLDER);
    }

    /** Creates the supervisor's state folder of a work dir's task. */
    Path newRecoveryState(WorkDir workDir)
            throws IOException
    {
        Path state = recoveryRoot().resolve(workDir.path().getFileName().toString());
        Files.createDirectories(state);
        return state;
    }

    /** Runs {@code work} on the engine's pool. */
    void execute(Runnable work)
    {
        pool.execute(work);
    }

    /**
     * Re-attaches to a task a supervisor runs ({@code "recovery": true}): resolved at once from its exit file if it
     * ended, followed if its session still runs, gone (resource-not-found) if its state folder is gone or its
     * session ended without an exit status.
     */
    @Override
    public Sandbox recoverSandbox(RecoveryOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        checkNotDisposed();
        if (!config.recovery()) {
            throw new FeatureNotSupportedException("this process engine is not configured for recovery "
                    + "(\"recovery\": true)");
        }
        Supervisor.Parsed task = Supervisor.parse(options.handle(), root, recoveryRoot());
        TaskContext context = options.context();
        try {
            if (!Files.isDirectory(task.state()) || !Files.isDirectory(task.workDir())
                    || (Supervisor.exitStatus(task.state()).isEmpty() && !RecoveredProcessSandbox.running(task))) {
                throw new ResourceNotFoundException("the task of session " + task.session()
                        + " is gone (its state folder " + task.state()
                        + " or its process is gone)");
            }
        }
        catch (IOException e) {
            throw new NonFatalInternalErrorException("cannot read the state of the recovered task in "
                    + task.state() + ": " + e, e);
        }
        Slot slot = newSlot(context);
        WorkDir workDir = WorkDir.adopt(task.workDir(), context().tracker());
        RecoveredProcessSandbox sandbox =
                new RecoveredProcessSandbox(this, context, task, workDir, slot, options.handle(), options.logOffset());
        recovered.add(sandbox);
        try {
            sandbox.attach();
        }
        catch (RuntimeException e) {
            recovered.remove(sandbox);
            workDir.release();
            slot.release();
            throw new NonFatalInternalErrorException("cannot follow the recovered task: " + e, e);
        }
        logger.info("{}: recovered session {} (work dir {}, log from byte {})", label(context), task.session(),
                task.workDir(), options.logOffset());
        return sandbox;
    }

    /**
     * Removes the recoverable tasks that dead engine instances on this root left and that no listed handle claims
     * ({@code "recovery": true}): their runs were handed back, cancelled or deleted while no engine ran, so their
     * supervisors' sessions are killed (before the caller can run a handed-back run again) and their work dirs and
     * state removed. Listed tasks are kept for {@link #recoverSandbox}. Handles of other engines, other roots or
     * unreadable ones are ignored. Runs on the caller's thread; killing a session waits for it to be empty.
     */
    @Override
    public void retainRecoverable(Collection<SandboxHandle> handles)
    {
        requireNonNull(handles, "handles is null");
        checkNotDisposed();
        if (!config.recovery()) {
            return;
        }
        Set<String> claimed = new HashSet<>();
        for (SandboxHandle handle : handles) {
            try {
                claimed.add(Supervisor.parse(handle, root, recoveryRoot()).workDir().getFileName().toString());
            }
            catch (MalformedPayloadException e) {
                logger.debug("a handle the worker reclaimed is not this engine's: {}", e.getMessage());
            }
        }
        int cleaned = leftovers.cleanUpUnclaimed(root, claimed);
        if (cleaned > 0) {
            logger.info("process engine: removed {} recoverable tasks no stored run claims (kept {})", cleaned,
                    claimed.size());
        }
    }

    /** Starts a process and tracks it until it has ended; see {@link SessionProcess}. */
    SessionProcess launch(Spawner.Argv argv, LongFunction<SessionProcess.Sweep> sweepFor, Path directory,
            Map<String, String> environment, TaskLog log, Spawner.Stdio stdio, String kind, String label)
            throws IOException
    {
        SessionProcess process = SessionProcess.start(spawner, argv, sweepFor, directory, environment, log, stdio, pool,
                context().tracker(), kind, label, logger, liveProcesses::remove);
        // recorded so that the next engine on this root kills the session if this JVM dies without disposing
        for (WorkDir workDir : liveWorkDirs) {
            if (directory.startsWith(workDir.path())) {
                leftovers.recordSession(workDir, process.sessionId());
                break;
            }
        }
        // added after the start: a process that is already gone must not stay listed
        liveProcesses.add(process);
        if (process.ended().isDone()) {
            liveProcesses.remove(process);
        }
        return process;
    }

    static String label(TaskContext task)
    {
        return "task " + task.taskId() + " run " + task.runId();
    }

    private boolean discardQuietly(WorkDir workDir)
    {
        try {
            if (config.keepWorkDirs()) {
                workDir.keep();
            }
            else {
                workDir.delete();
            }
            liveWorkDirs.remove(workDir);
            leftovers.forget(workDir);
            return true;
        }
        catch (IOException e) {
            logger.warn("cannot delete the work dir {}", workDir, e);
            return false;
        }
    }

    private static boolean isExecutableFile(Path file)
    {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }
}
