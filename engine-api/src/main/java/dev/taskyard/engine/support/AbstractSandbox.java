package dev.taskyard.engine.support;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Implements the resolution rules of {@link Sandbox} once, so that an engine only says how to kill and how to
 * abort its task, and reports when the task has {@linkplain #terminated(Termination, ResultFactory) terminated}.
 *
 * <p>The engine calls {@link #watchContext()} once the task runs; from then on cancelling the task context aborts
 * the sandbox and a context deadline kills it (the result is then marked timed out). Sessions (shells, displays)
 * registered with {@link #addSession(Session)} are aborted when the sandbox is killed or resolved.
 *
 * <p>Thread-safe.
 */
public abstract class AbstractSandbox
        implements Sandbox
{
    private static final Logger LOG = LoggerFactory.getLogger(AbstractSandbox.class);
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "taskyard-sandbox-deadlines");
        thread.setDaemon(true);
        return thread;
    });

    private enum State
    {
        RUNNING, ABORTING, RESOLVED
    }

    private enum KillCause
    {
        REQUESTED, DEADLINE
    }

    protected final TaskContext context;
    private final Object lock = new Object();
    private final CountDownLatch resolved = new CountDownLatch(1);
    private final Set<Session> sessions = new LinkedHashSet<>();

    // guarded by lock
    private State state = State.RUNNING;
    private KillCause killCause;
    private boolean aborted;
    private ResultSet result;
    private EngineException failure;
    private TaskContext.Registration cancelRegistration;
    private ScheduledFuture<?> deadlineKill;

    protected AbstractSandbox(TaskContext context)
    {
        this.context = requireNonNull(context, "context is null");
    }

    /** Kills every process of the task without waiting; the task must then terminate and be reported. */
    protected abstract void killTask();

    /**
     * Kills the task and releases everything the sandbox holds, synchronously. After it started, reports of natural
     * termination are refused.
     */
    protected abstract void abortTask()
            throws EngineException;

    /** Creates the result set of a task that terminated; called at most once, with the lock of the sandbox held. */
    @FunctionalInterface
    protected interface ResultFactory
    {
        ResultSet create(Termination termination);
    }

    /** A shell or display connection that must end with the sandbox. */
    @FunctionalInterface
    public interface Session
    {
        /** Ends the session; must not block for long and must not throw. */
        void abortSession();
    }

    /** Starts reacting to cancellation and the deadline of the task context. Call once, when the task runs. */
    protected final void watchContext()
    {
        TaskContext.Registration registration = context.onCancel(this::abortOnCancel);
        ScheduledFuture<?> deadline = null;
        if (context.deadline().isPresent()) {
            long delay = Duration.between(Instant.now(), context.deadline().get()).toNanos();
            deadline = DEADLINES.schedule(this::killAtDeadline, Math.max(0, delay), TimeUnit.NANOSECONDS);
        }
        synchronized (lock) {
            if (state == State.RUNNING) {
                cancelRegistration = registration;
                deadlineKill = deadline;
                return;
            }
        }
        registration.close();
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    /**
     * Reports that the task terminated on its own (or after a kill). The sandbox resolves with the result set made
     * by {@code factory}, marked killed when {@link #kill()} came first.
     *
     * @return {@code false} if the sandbox was already being aborted or resolved: the factory was not called and
     *         ownership stays with the abort
     */
    protected final boolean terminated(Termination termination, ResultFactory factory)
    {
        requireNonNull(termination, "termination is null");
        List<Session> toAbort;
        synchronized (lock) {
            if (state != State.RUNNING) {
                return false;
            }
            Termination effective = killCause == null ? termination
                    : termination.asKilled(killCause == KillCause.DEADLINE);
            result = requireNonNull(factory.create(effective), "result set is null");
            toAbort = resolveLocked();
        }
        finish(toAbort);
        return true;
    }

    /**
     * Reports that the engine lost the task; the sandbox resolves with this error (every {@code waitForResult}
     * throws it). The engine must have released the task's resources.
     *
     * @return {@code false} if the sandbox was already aborting or resolved
     */
    protected final boolean failed(NonFatalInternalErrorException error)
    {
        requireNonNull(error, "error is null");
        List<Session> toAbort;
        synchronized (lock) {
            if (state != State.RUNNING) {
                return false;
            }
            failure = error;
            toAbort = resolveLocked();
        }
        finish(toAbort);
        return true;
    }

    /**
     * Registers a session; if the sandbox is no longer running, aborts it and throws the error the contract names.
     */
    protected final void addSession(Session session)
            throws EngineException
    {
        synchronized (lock) {
            if (state == State.RUNNING && killCause == null) {
                sessions.add(session);
                return;
            }
        }
        session.abortSession();
        checkRunning();
    }

    /** Forgets a session that ended by itself. */
    protected final void removeSession(Session session)
    {
        synchronized (lock) {
            sessions.remove(session);
        }
    }

    /**
     * Throws {@link SandboxAbortedException} after an abort, {@link SandboxTerminatedException} after termination or a
     * kill; returns while the task runs.
     */
    protected final void checkRunning()
            throws EngineException
    {
        synchronized (lock) {
            if (aborted || state == State.ABORTING) {
                throw new SandboxAbortedException("the sandbox was aborted");
            }
            if (state == State.RESOLVED || killCause != null) {
                throw new SandboxTerminatedException("the task has terminated");
            }
        }
    }

    /** Whether the sandbox is resolved (terminated, failed or aborted). */
    public final boolean isResolved()
    {
        return resolved.getCount() == 0;
    }

    @Override
    public final ResultSet waitForResult()
            throws EngineException, InterruptedException
    {
        resolved.await();
        synchronized (lock) {
            if (aborted) {
                throw new SandboxAbortedException("the sandbox was aborted");
            }
            if (failure != null) {
                throw failure;
            }
            return result;
        }
    }

    @Override
    public final void abort()
            throws EngineException
    {
        boolean mine = false;
        List<Session> toAbort = List.of();
        synchronized (lock) {
            if (state == State.RESOLVED && !aborted) {
                throw new SandboxTerminatedException(
                        "the task already terminated; use waitForResult to get its result");
            }
            if (state == State.RUNNING) {
                state = State.ABORTING;
                mine = true;
                toAbort = new ArrayList<>(sessions);
                sessions.clear();
            }
        }
        if (!mine) {
            awaitUninterruptibly();
            return;
        }
        toAbort.forEach(AbstractSandbox::abortQuietly);
        try {
            abortTask();
        }
        finally {
            synchronized (lock) {
                aborted = true;
                resolveLocked();
            }
            finish(List.of());
        }
    }

    @Override
    public final void kill()
            throws EngineException
    {
        kill(KillCause.REQUESTED);
    }

    private void kill(KillCause cause)
            throws EngineException
    {
        List<Session> toAbort;
        synchronized (lock) {
            checkRunningForKill();
            if (killCause == null) {
                killCause = cause;
            }
            toAbort = new ArrayList<>(sessions);
            sessions.clear();
        }
        toAbort.forEach(AbstractSandbox::abortQuietly);
        if (cause == KillCause.DEADLINE) {
            // written before the kill, so the line precedes the task's end in the log
            context.log().writeLine("[taskyard] the task passed its deadline and was killed");
        }
        killTask();
    }

    private void checkRunningForKill()
            throws EngineException
    {
        if (aborted || state == State.ABORTING) {
            throw new SandboxAbortedException("the sandbox was aborted");
        }
        if (state == State.RESOLVED) {
            throw new SandboxTerminatedException("the task has terminated");
        }
    }

    private List<Session> resolveLocked()
    {
        state = State.RESOLVED;
        List<Session> toAbort = new ArrayList<>(sessions);
        sessions.clear();
        return toAbort;
    }

    private void finish(List<Session> toAbort)
    {
        TaskContext.Registration registration;
        ScheduledFuture<?> deadline;
        synchronized (lock) {
            registration = cancelRegistration;
            deadline = deadlineKill;
            cancelRegistration = null;
            deadlineKill = null;
        }
        resolved.countDown();
        toAbort.forEach(AbstractSandbox::abortQuietly);
        if (registration != null) {
            registration.close();
        }
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    private void awaitUninterruptibly()
    {
        boolean interrupted = false;
        while (true) {
            try {
                resolved.await();
                break;
            }
            catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void abortOnCancel()
    {
        try {
            abort();
        }
        catch (SandboxTerminatedException ignored) {
            // the result set owns everything now; its owner disposes it
        }
        catch (EngineException | RuntimeException e) {
            LOG.warn("aborting the sandbox of {} on cancellation failed", context, e);
        }
    }

    private void killAtDeadline()
    {
        try {
            kill(KillCause.DEADLINE);
        }
        catch (EngineException ignored) {
            // already resolved: nothing was killed, nothing is logged
        }
        catch (RuntimeException e) {
            LOG.warn("killing {} at its deadline failed", context, e);
        }
    }

    private static void abortQuietly(Session session)
    {
        try {
            session.abortSession();
        }
        catch (RuntimeException e) {
            LOG.warn("aborting a sandbox session failed", e);
        }
    }
}
