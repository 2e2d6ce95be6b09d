package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandbox;

import static java.util.Objects.requireNonNull;

/**
 * A running task: one session of host processes in a fresh work dir. The resolution rules come from
 * {@link AbstractSandbox}; this class says how to kill ({@code SIGKILL} to the whole session) and how to abort
 * (kill, wait until the session is gone, delete the work dir, release the slot).
 *
 * <p><b>Termination.</b> When the main process exits, every other process of its session is killed, the output is
 * drained to end-of-stream, and only then is the termination reported. Java reports a process ended by signal
 * {@code n} as exit code {@code 128+n}, indistinguishable from a plain {@code exit(128+n)}; the heuristic used here
 * is: after this engine killed the task (kill, deadline), an exit code in {@code 129..192} is reported as
 * {@linkplain Termination#signalled(int) signal} {@code n}; otherwise the exit code is reported as it is (so a task
 * that kills itself with a signal shows as exit code {@code 128+n}).
 *
 * <p><b>Shells</b> run {@code /bin/sh} (or the given command) in the task's working folder with the task's
 * environment, each in a session of its own; killing or resolving the sandbox aborts them.
 *
 * <p>Thread-safe. Owns the work dir and the slot until resolution, then hands them to the result set, or releases
 * them on abort.
 */
final class ProcessSandbox
        extends AbstractSandbox
{
    private static final Duration ABORT_WAIT = Duration.ofSeconds(20);
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(5);

    private final ProcessEngine engine;
    private final WorkDir workDir;
    private final Confinement confinement;
    private final Slot slot;
    private final Map<String, String> environment;
    private final Path directory;
    private final String label;
    private final Set<ProcessShell> shells = ConcurrentHashMap.newKeySet();
    private volatile SessionProcess task;
    /** The supervisor's folder of a recoverable task ({@link ProcessEngine#recovers()}), else null. */
    private final Path state;
    private volatile SandboxHandle handle;

    private ProcessSandbox(ProcessEngine engine, TaskContext context, WorkDir workDir, Confinement confinement,
            Slot slot, Map<String, String> environment, Path directory, Path state)
    {
        super(context);
        this.state = state;
        this.engine = engine;
        this.workDir = workDir;
        this.confinement = confinement;
        this.slot = slot;
        this.environment = environment;
        this.directory = directory;
        this.label = ProcessEngine.label(context);
    }

    /**
     * Creates the work dir and starts the task. On success the sandbox owns {@code slot}; on failure everything
     * created here is released and the slot stays with the caller.
     *
     * @throws MalformedPayloadException the command is not an executable file
     * @throws NonFatalInternalErrorException the work dir or the process could not be created
     */
    static ProcessSandbox start(ProcessEngine engine, TaskContext context, TaskPayload payload, Map<String,
            String> declared, Slot slot)
            throws EngineException
    {
        WorkDir workDir = engine.newWorkDir(context);
        Confinement confinement = null;
        try {
            Path directory = workDir.lexical(payload.workingFolder(), "workingFolder");
            Files.createDirectories(directory);
            Map<String, String> environment = engine.environment(workDir, declared);
            ProcessEngine.checkExecutable(payload.command().get(0), directory, environment.get("PATH"));
            confinement = engine.confine(workDir, directory, payload.limits());
            Path state = engine.recovers() ? engine.newRecoveryState(workDir) : null;
            ProcessSandbox sandbox =
                    new ProcessSandbox(engine, context, workDir, confinement, slot, environment, directory, state);
            sandbox.launch(payload.command());
            return sandbox;
        }
        catch (IOException e) {
            engine.logger().warn("{}: cannot start {}", ProcessEngine.label(context), payload.command(), e);
            NonFatalInternalErrorException error =
                    new NonFatalInternalErrorException("cannot start the task's process: " + e.getMessage(), e);
            discardAfterFailedStart(engine, context, workDir, confinement, error);
            throw error;
        }
        catch (EngineException | RuntimeException e) {
            discardAfterFailedStart(engine, context, workDir, confinement, e);
            throw e;
        }
    }

    private static void discardAfterFailedStart(ProcessEngine engine, TaskContext context, WorkDir workDir,
            Confinement confinement, Exception failure)
    {
        try {
            if (confinement != null) {
                engine.release(confinement, context);
            }
        }
        catch (EngineException inner) {
            failure.addSuppressed(inner);
        }
        try {
            engine.discardWorkDir(workDir, context);
        }
        catch (EngineException inner) {
            failure.addSuppressed(inner);
        }
    }

    private void launch(List<String> command)
            throws IOException
    {
        Optional<TaskCgroup> cgroup = confinement.cgroup();
        if (state == null) {
            SessionProcess started = engine.launch(confinement.argv(command, cgroup.isEmpty()),
                    pid -> cgroup.isPresent() ? SessionProcess.Sweep.cgroup(cgroup.get())
                            : SessionProcess.Sweep.session(pid),
                    directory, environment, context.log(), Spawner.Stdio.MERGED, "process", label);
            task = started;
            engine.logger().debug("{}: started {} as session {} in {}", label, command, started.sessionId(), workDir);
            started.ended().whenComplete(this::ended);
            watchContext();
            return;
        }
        // recoverable: the supervisor writes the output to a file, which this JVM tails (a pipe would die with it)
        FileTail tail = new FileTail(Supervisor.output(state), context.log(), 0);
        SessionProcess started =
                engine.launch(confinement.argv(Supervisor.argv(state, command), true), SessionProcess.Sweep::session,
                directory, environment, null, Spawner.Stdio.NONE, "process", label);
        task = started;
        handle = Supervisor.handle(started.sessionId(), workDir.path(), state);
        engine.execute(tail);
        engine.logger().debug("{}: started {} under a supervisor as session {} in {}", label, command,
                started.sessionId(), workDir);
        started.ended().whenComplete((exit, error) -> {
            tail.finish();
            if (!tail.awaitEof(OUTPUT_GRACE)) {
                engine.logger().warn("{}: the output file of session {} was not drained within {}", label,
                        started.sessionId(), OUTPUT_GRACE);
            }
            ended(exit, error);
        });
        watchContext();
    }

    @Override
    public SandboxHandle handle()
            throws EngineException
    {
        SandboxHandle current = handle;
        if (current == null) {
            throw new FeatureNotSupportedException("this process engine is not configured for recovery "
                    + "(\"recovery\": true)");
        }
        return current;
    }

    @Override
    protected void killTask()
    {
        engine.logger().info("{}: killing session {}", label, task.sessionId());
        task.kill();
    }

    @Override
    protected void abortTask()
            throws EngineException
    {
        engine.logger().info("{}: aborting session {}", label, task.sessionId());
        try {
            task.kill();
            if (!task.awaitEnded(ABORT_WAIT)) {
                engine.logger().warn("{}: session {} did not end within {} of the abort", label,
                        task.sessionId(), ABORT_WAIT);
            }
            awaitShells();
            try {
                engine.release(confinement, context);
            }
            finally {
                engine.discardWorkDir(workDir, context);
            }
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
        if (tty) {
            throw new FeatureNotSupportedException("the process engine has no terminals: shells run with tty=false "
                    + "only");
        }
        checkRunning();
        List<String> argv = command.isEmpty() ? List.of("/bin/sh") : List.copyOf(command);
        for (String argument : argv) {
            if (argument.indexOf('\0') >= 0) {
                throw new MalformedPayloadException("the shell command contains a NUL character");
            }
        }
        if (argv.get(0).isEmpty()) {
            throw new MalformedPayloadException("the shell command is empty");
        }
        ProcessEngine.checkExecutable(argv.get(0), directory, environment.get("PATH"));
        SessionProcess process;
        try {
            process = engine.launch(confinement.argv(argv, true), SessionProcess.Sweep::session, directory,
                    environment, null, Spawner.Stdio.PIPES, "shell-session", "shell of " + label);
        }
        catch (IOException e) {
            throw new MalformedPayloadException(List.of("cannot start the shell " + argv + ": " + e.getMessage()), e);
        }
        ProcessShell shell = new ProcessShell(process,
                engine.context().tracker().acquire("shell", "shell " + argv.get(0) + " of " + label));
        shells.add(shell);
        process.ended().whenComplete((exit, error) -> {
            if (error != null) {
                engine.logger().warn("{}: lost track of the shell session {}; reporting it as failed", label,
                        process.sessionId(), error);
            }
            shell.processEnded(error == null && exit == 0);
            shells.remove(shell);
            removeSession(shell);
        });
        addSession(shell);
        engine.logger().debug("{}: shell {} started as session {}", label, argv, process.sessionId());
        return shell;
    }

    /** Waits (bounded) until every shell of the sandbox has ended; they have been aborted by then. */
    void awaitShells()
    {
        for (ProcessShell shell : shells) {
            shell.abortSession();
            if (!shell.process().awaitEnded(ABORT_WAIT)) {
                engine.logger().warn("{}: a shell did not end within {}", label, ABORT_WAIT);
            }
        }
    }

    private void ended(Integer exit, Throwable error)
    {
        if (error != null) {
            engine.logger().warn("{}: lost track of session {}", label, task.sessionId(), error);
            if (failed(new NonFatalInternalErrorException("the process engine lost track of the task: " + error,
                    error))) {
                releaseAfterFailure();
            }
            return;
        }
        Termination termination = termination(exit, task.wasKilled(), confinement.outOfMemory());
        boolean resolved = terminated(termination,
                effective -> new ProcessResultSet(effective, engine, context, workDir, confinement,
                slot, this::awaitShells));
        engine.logger().debug("{}: session {} ended with exit value {}{}", label, task.sessionId(), exit,
                resolved ? "" : " (aborted)");
    }

    /** Maps a Java exit value to a termination; see the class comment for the heuristic. */
    static Termination termination(int exit, boolean killedByEngine, boolean outOfMemory)
    {
        if (outOfMemory) {
            // the OOM killer sends SIGKILL: 137 is the killed process itself (or bwrap passing its status on)
            OptionalInt signal = exit == 128 + 9 ? OptionalInt.of(9) : OptionalInt.empty();
            return new Termination(signal.isPresent() ? OptionalInt.empty() : OptionalInt.of(exit),
                    signal, false, false, true);
        }
        if (killedByEngine && exit > 128 && exit <= 128 + 64) {
            return Termination.signalled(exit - 128);
        }
        return Termination.exited(exit);
    }

    private void releaseAfterFailure()
    {
        try {
            awaitShells();
            engine.release(confinement, context);
            engine.discardWorkDir(workDir, context);
        }
        catch (EngineException e) {
            engine.logger().warn("{}: cleaning up after a lost task failed", label, e);
        }
        finally {
            slot.release();
        }
    }
}
