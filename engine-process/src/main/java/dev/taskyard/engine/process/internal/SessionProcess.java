package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongFunction;

import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskLog;
import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * A host process started by a {@link Spawner} with an argv from {@link Launcher} (so that its pid stays the one the
 * JVM sees until the program runs), with everything it spawns, which its {@link Sweep} finds: the processes of its
 * session (the spawner makes the child a session leader: {@code posix_spawn} with {@code POSIX_SPAWN_SETSID}, or
 * {@code setsid}, which calls {@code setsid()} and execs the command directly as the JVM's child is never a
 * process-group leader; either way the child's pid is the session id), or of the task's cgroup.
 *
 * <p>When the leader exits, a pool thread kills every other process of the sweep (pass after pass until none is
 * left), then waits for the output pump to reach end-of-stream, releases the tracker entry and only then completes
 * {@link #ended()} with the leader's exit value. {@link #kill()} ends the whole sweep the same way.
 *
 * <p>Thread-safe. Owns the process and its tracker entry until {@link #ended()} completes.
 */
final class SessionProcess
{
    /** Finds and kills the processes that belong to the leader. */
    interface Sweep
    {
        /** SIGKILLs every member once; returns how many there were. */
        int killOnce();

        /** Kills pass after pass until none is left or the timeout passes; returns whether none is left. */
        boolean killUntilEmpty(Duration timeout);

        /** The processes of the leader's session (the leader's pid). */
        static Sweep session(long sessionId)
        {
            return new Sweep()
            {
                @Override
                public int killOnce()
                {
                    return ProcSessions.killOnce(sessionId);
                }

                @Override
                public boolean killUntilEmpty(Duration timeout)
                {
                    return ProcSessions.killUntilEmpty(sessionId, timeout);
                }
            };
        }

        /** The processes of a task cgroup. */
        static Sweep cgroup(TaskCgroup cgroup)
        {
            return new Sweep()
            {
                @Override
                public int killOnce()
                {
                    return cgroup.killOnce();
                }

                @Override
                public boolean killUntilEmpty(Duration timeout)
                {
                    return cgroup.killUntilEmpty(timeout);
                }
            };
        }
    }

    private static final Duration SWEEP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(5);

    private final Child process;
    private final Sweep sweep;
    private final String label;
    private final LogPump pump;
    private final ResourceTracker.Resource resource;
    private final Logger logger;
    private final Consumer<SessionProcess> onGone;
    private final CompletableFuture<Integer> ended = new CompletableFuture<>();
    private volatile boolean killed;

    private SessionProcess(Child process, Sweep sweep, String label, LogPump pump, ResourceTracker.Resource resource,
            Logger logger, Consumer<SessionProcess> onGone)
    {
        this.process = process;
        this.sweep = sweep;
        this.label = label;
        this.pump = pump;
        this.resource = resource;
        this.logger = logger;
        this.onGone = onGone;
    }

    /**
     * Starts {@code argv} (built by {@link Launcher}) through {@code spawner}.
     *
     * @param sweepFor the sweep of the started process, given its pid
     * @param environment the complete environment of the process (nothing is inherited)
     * @param log where stdout and stderr go (merged), stdin being {@code /dev/null}; {@code null} for {@code stdio}
     * @param stdio without a log: {@link Spawner.Stdio#PIPES} for the caller (shells) or
     *        {@link Spawner.Stdio#NONE} (a supervisor, which writes its own output file)
     * @param kind the tracker kind, e.g. {@code process} or {@code shell}
     * @param label who the process belongs to, for logs and the tracker, e.g. {@code task X run 0}
     * @param onGone called once the session is gone, right before {@link #ended()} completes (also when the start
     *        fails after the process was created)
     * @throws IOException the process could not be started, or the pool no longer accepts work
     */
    static SessionProcess start(Spawner spawner, Spawner.Argv argv, LongFunction<Sweep> sweepFor, Path directory,
            Map<String, String> environment, TaskLog log, Spawner.Stdio stdio, Executor pool,
            ResourceTracker tracker, String kind, String label, Logger logger, Consumer<SessionProcess> onGone)
            throws IOException
    {
        Child process = spawner.start(argv, directory, environment, log != null ? Spawner.Stdio.MERGED : stdio);
        ResourceTracker.Resource resource = tracker.acquire(kind, "session " + process.pid() + " of " + label);
        LogPump pump = log == null ? null : new LogPump(process.stdout(), log);
        Sweep sweep = sweepFor.apply(process.pid());
        SessionProcess started = new SessionProcess(process, sweep, label, pump, resource, logger, onGone);
        try {
            if (pump != null) {
                pool.execute(pump);
            }
            pool.execute(started::awaitExit);
        }
        catch (RejectedExecutionException e) {
            started.killed = true;
            process.destroyForcibly();
            started.waitForLeader(); // reaps it (a posix_spawn child has no other reaper)
            sweep.killUntilEmpty(SWEEP_TIMEOUT);
            resource.release();
            onGone.accept(started);
            throw new IOException("the engine no longer starts processes (disposed)", e);
        }
        return started;
    }

    /** The session id, which is also the leader's pid. */
    long sessionId()
    {
        return process.pid();
    }

    /** The underlying process, for its streams. */
    Child process()
    {
        return process;
    }

    /** Completes with the leader's exit value once the whole session is gone and the output is drained. */
    CompletableFuture<Integer> ended()
    {
        return ended;
    }

    /** Whether {@link #kill()} was called. */
    boolean wasKilled()
    {
        return killed;
    }

    /** Sends SIGKILL to the leader and every process of the session; does not wait. Idempotent. */
    void kill()
    {
        killed = true;
        if (ended.isDone()) {
            return; // the session is gone and its id may already belong to another process
        }
        process.destroyForcibly(); // leaves the streams open, so that the pump and a shell's readers drain them
        sweep.killOnce();
    }

    /** Waits up to {@code timeout} for {@link #ended()}; returns whether it completed (normally or not). */
    boolean awaitEnded(Duration timeout)
    {
        try {
            ended.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        }
        catch (ExecutionException e) {
            return true;
        }
        catch (TimeoutException e) {
            return false;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ended.isDone();
        }
    }

    private void awaitExit()
    {
        try {
            int exit = waitForLeader();
            if (!sweep.killUntilEmpty(SWEEP_TIMEOUT)) {
                logger.warn("{}: processes of process {} survived {} of SIGKILLs (uninterruptible?)", label,
                        sessionId(), SWEEP_TIMEOUT);
            }
            if (pump != null && !pump.awaitEof(OUTPUT_GRACE)) {
                logger.warn("{}: the output pipe is still open after session {} ended; a process that left the "
                        + "session holds it, its further output is lost", label, sessionId());
            }
            resource.release();
            onGone.accept(this);
            ended.complete(exit);
        }
        catch (RuntimeException | Error e) {
            resource.release();
            onGone.accept(this);
            ended.completeExceptionally(e);
            throw e;
        }
    }

    private int waitForLeader()
    {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return process.waitFor();
                }
                catch (InterruptedException e) {
                    // the pool is shutting down: the leader still has to be waited for
                    interrupted = true;
                }
            }
        }
        finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString()
    {
        return "session " + sessionId() + " of " + requireNonNull(label);
    }
}
