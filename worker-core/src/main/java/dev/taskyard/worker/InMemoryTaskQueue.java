package dev.taskyard.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.ExceptionReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A {@link TaskQueue} in memory, for tests, benchmarks and single-process use. Tasks are handed out in submission
 * order; a lease that expires puts its task back at the front of the queue with the next attempt number.
 * {@link #cancel(String)} resolves a pending task at once as {@code exception/canceled}; for a running one it tells
 * the {@linkplain #onCancel listeners} of its current lease (on the cancelling thread, after the lock is released)
 * and makes the next renewal fail. Thread-safe (one lock); claims wait on a condition, not by polling.
 */
public final class InMemoryTaskQueue
        implements TaskQueue
{
    private enum State
    {
        PENDING, RUNNING, RESOLVED
    }

    private static final class Entry
    {
        final TaskSpec task;
        State state = State.PENDING;
        int attempts;
        Lease lease;
        Duration leaseDuration;
        /** Who holds the current lease, and the sandbox handle it saved. */
        WorkerIdentity worker;
        SandboxHandle handle;
        boolean canceled;
        TaskResolution resolution;
        final Map<Integer, TaskResolution> runs = new HashMap<>();
        final List<Integer> progress = new ArrayList<>();
        final List<CancelListener> listeners = new ArrayList<>();

        Entry(TaskSpec task)
        {
            this.task = task;
        }
    }

    /** One {@link #onCancel} registration; {@code fired} and the list it is in are guarded by the queue's lock. */
    private static final class CancelListener
    {
        final String token;
        final Runnable listener;
        boolean fired;

        CancelListener(String token, Runnable listener)
        {
            this.token = token;
            this.listener = listener;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryTaskQueue.class);

    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, Entry> tasks = new HashMap<>();
    private final Deque<Entry> pending = new ArrayDeque<>();
    private final java.util.Set<Entry> running = new java.util.LinkedHashSet<>();
    private int unresolved;

    public InMemoryTaskQueue()
    {
        this(Clock.systemUTC());
    }

    /** @param clock decides lease expiry; tests may pass a controllable one */
    public InMemoryTaskQueue(Clock clock)
    {
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Adds a task.
     *
     * @throws IllegalArgumentException a task with that id exists
     */
    public void submit(TaskSpec task)
    {
        requireNonNull(task, "task is null");
        lock.lock();
        try {
            if (tasks.containsKey(task.taskId())) {
                throw new IllegalArgumentException("task " + task.taskId() + " already exists");
            }
            Entry entry = new Entry(task);
            tasks.put(task.taskId(), entry);
            pending.addLast(entry);
            unresolved++;
            changed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    /** Cancels a task: a pending one is resolved as {@code exception/canceled}, a running one loses its lease. */
    public void cancel(String taskId)
    {
        List<CancelListener> toTell = new ArrayList<>();
        lock.lock();
        try {
            Entry entry = require(taskId);
            if (entry.state == State.RESOLVED) {
                return;
            }
            entry.canceled = true;
            if (entry.state == State.PENDING) {
                pending.remove(entry);
            }
            else {
                for (CancelListener registered : entry.listeners) {
                    if (!registered.fired && registered.token.equals(entry.lease.token())) {
                        registered.fired = true;
                        toTell.add(registered);
                    }
                }
            }
            entry.listeners.clear();
            resolveLocked(entry, TaskResolution.exception(ExceptionReason.CANCELED));
        }
        finally {
            lock.unlock();
        }
        for (CancelListener registered : toTell) {
            try {
                registered.listener.run();
            }
            catch (RuntimeException e) {
                LOG.error("a cancel listener of task {} failed", taskId, e);
            }
        }
    }

    /**
     * Tells {@code listener} when the task is cancelled while {@code lease} is current (see
     * {@link TaskQueue#onCancel}).
     * A lease that is no longer current (expired, or the task resolved) registers nothing; a cancelled task runs the
     * listener at once.
     */
    @Override
    public Subscription onCancel(Lease lease, Runnable listener)
    {
        requireNonNull(lease, "lease is null");
        requireNonNull(listener, "listener is null");
        CancelListener registered = new CancelListener(lease.token(), listener);
        lock.lock();
        try {
            Entry entry = require(lease.taskId());
            if (!entry.canceled) {
                if (entry.state != State.RUNNING || !entry.lease.token().equals(lease.token())) {
                    return Subscription.NONE;
                }
                entry.listeners.add(registered);
                return () -> {
                    lock.lock();
                    try {
                        registered.fired = true;
                        entry.listeners.remove(registered);
                    }
                    finally {
                        lock.unlock();
                    }
                };
            }
        }
        finally {
            lock.unlock();
        }
        listener.run();
        return Subscription.NONE;
    }

    @Override
    public List<Claim> claim(ClaimRequest request)
            throws InterruptedException
    {
        requireNonNull(request, "request is null");
        long waitNanos = request.maxWait().toNanos();
        lock.lockInterruptibly();
        try {
            while (true) {
                requeueExpired();
                if (!pending.isEmpty()) {
                    List<Claim> claims = new ArrayList<>(Math.min(request.max(), pending.size()));
                    Instant expiry = clock.instant().plus(request.leaseDuration());
                    while (claims.size() < request.max() && !pending.isEmpty()) {
                        Entry entry = pending.pollFirst();
                        entry.state = State.RUNNING;
                        running.add(entry);
                        entry.leaseDuration = request.leaseDuration();
                        entry.worker = request.worker();
                        entry.handle = null;
                        entry.lease = new Lease(entry.task.taskId(), entry.attempts++,
                                UUID.randomUUID().toString(), expiry);
                        claims.add(new Claim(entry.task, entry.lease));
                    }
                    return claims;
                }
                if (waitNanos <= 0) {
                    return List.of();
                }
                waitNanos = changed.awaitNanos(Math.min(waitNanos, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        }
        finally {
            lock.unlock();
        }
    }

    @Override
    public Lease renew(Lease lease)
            throws LeaseLostException
    {
        lock.lock();
        try {
            Entry entry = current(lease);
            if (!clock.instant().isBefore(entry.lease.expiresAt())) {
                expire(entry);
                throw new LeaseLostException(LeaseLostException.Reason.EXPIRED, "the lease of task "
                        + lease.taskId() + " expired");
            }
            entry.lease = new Lease(lease.taskId(), lease.attempt(), lease.token(),
                    clock.instant().plus(entry.leaseDuration));
            return entry.lease;
        }
        finally {
            lock.unlock();
        }
    }

    /** Keeps the handle in memory; a reclaim by a worker of the same identity in this process hands it back. */
    @Override
    public boolean saveSandbox(Lease lease, SandboxHandle handle)
            throws LeaseLostException
    {
        requireNonNull(handle, "handle is null");
        lock.lock();
        try {
            current(lease).handle = handle;
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Hands back the running tasks {@code worker} holds with a saved handle (the queue stores no logs: offset 0) and
     * puts those without one back in the queue with their attempt.
     */
    @Override
    public List<ReclaimedRun> reclaim(WorkerIdentity worker, Duration leaseDuration)
    {
        requireNonNull(worker, "worker is null");
        requireNonNull(leaseDuration, "leaseDuration is null");
        lock.lock();
        try {
            List<ReclaimedRun> reclaimed = new ArrayList<>();
            Instant expiry = clock.instant().plus(leaseDuration);
            for (Entry entry : List.copyOf(running)) {
                if (entry.handle == null && worker.equals(entry.worker) && !entry.canceled) {
                    expire(entry);
                    entry.attempts--;
                }
            }
            for (Entry entry : running) {
                if (entry.handle != null && worker.equals(entry.worker) && !entry.canceled) {
                    entry.leaseDuration = leaseDuration;
                    entry.lease = new Lease(entry.task.taskId(), entry.lease.attempt(),
                            UUID.randomUUID().toString(), expiry);
                    reclaimed.add(new ReclaimedRun(new Claim(entry.task, entry.lease), entry.handle, 0));
                }
            }
            return reclaimed;
        }
        finally {
            lock.unlock();
        }
    }

    /** Puts a running task back at the front of the queue with its attempt number reused. */
    @Override
    public boolean release(Lease lease)
    {
        requireNonNull(lease, "lease is null");
        lock.lock();
        try {
            Entry entry = require(lease.taskId());
            if (entry.canceled || entry.state != State.RUNNING || !entry.lease.token().equals(lease.token())) {
                return false;
            }
            expire(entry);
            entry.attempts--;
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    @Override
    public void reportProgress(Lease lease, int percent)
            throws LeaseLostException
    {
        lock.lock();
        try {
            current(lease).progress.add(percent);
        }
        finally {
            lock.unlock();
        }
    }

    @Override
    public void resolve(Lease lease, TaskResolution resolution)
            throws LeaseLostException
    {
        requireNonNull(resolution, "resolution is null");
        lock.lock();
        try {
            Entry entry = require(lease.taskId());
            if (entry.state == State.RESOLVED && entry.runs.containsKey(lease.attempt()) && entry.lease != null
                    && entry.lease.token().equals(lease.token())) {
                return; // a repeated resolution of the same lease
            }
            current(lease);
            resolveLocked(entry, resolution);
            entry.runs.put(lease.attempt(), resolution);
        }
        finally {
            lock.unlock();
        }
    }

    /** The task's resolution, once it is resolved. */
    public Optional<TaskResolution> resolution(String taskId)
    {
        lock.lock();
        try {
            return Optional.ofNullable(require(taskId).resolution);
        }
        finally {
            lock.unlock();
        }
    }

    /** Waits until the task is resolved or the timeout passes. */
    public Optional<TaskResolution> awaitResolution(String taskId, Duration timeout)
            throws InterruptedException
    {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            Entry entry = require(taskId);
            while (entry.resolution == null && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
            return Optional.ofNullable(entry.resolution);
        }
        finally {
            lock.unlock();
        }
    }

    /** Waits until every submitted task is resolved; returns whether they are. */
    public boolean awaitAllResolved(Duration timeout)
            throws InterruptedException
    {
        long nanos = timeout.toNanos();
        lock.lock();
        try {
            while (unresolved > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        }
        finally {
            lock.unlock();
        }
    }

    /** Every progress value reported for the task, in order. */
    public List<Integer> progress(String taskId)
    {
        lock.lock();
        try {
            return List.copyOf(require(taskId).progress);
        }
        finally {
            lock.unlock();
        }
    }

    /** How many times the task was handed out. */
    public int attempts(String taskId)
    {
        lock.lock();
        try {
            return require(taskId).attempts;
        }
        finally {
            lock.unlock();
        }
    }

    /** Tasks neither resolved nor running. */
    public int pendingCount()
    {
        lock.lock();
        try {
            return pending.size();
        }
        finally {
            lock.unlock();
        }
    }

    private Entry require(String taskId)
    {
        Entry entry = tasks.get(requireNonNull(taskId, "taskId is null"));
        if (entry == null) {
            throw new IllegalArgumentException("no task " + taskId);
        }
        return entry;
    }

    private Entry current(Lease lease)
            throws LeaseLostException
    {
        Entry entry = require(lease.taskId());
        if (entry.canceled) {
            throw new LeaseLostException(LeaseLostException.Reason.CANCELED, "task "
                    + lease.taskId() + " was cancelled");
        }
        if (entry.state == State.RESOLVED) {
            throw new LeaseLostException(LeaseLostException.Reason.RESOLVED, "task " + lease.taskId()
                    + " is already resolved");
        }
        if (entry.state != State.RUNNING || !entry.lease.token().equals(lease.token())) {
            throw new LeaseLostException(LeaseLostException.Reason.EXPIRED, "the lease of task " + lease.taskId()
                    + " attempt " + lease.attempt() + " is no longer valid");
        }
        return entry;
    }

    private void requeueExpired()
    {
        if (running.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        for (Entry entry : List.copyOf(running)) {
            if (!now.isBefore(entry.lease.expiresAt())) {
                expire(entry);
            }
        }
    }

    private void expire(Entry entry)
    {
        entry.state = State.PENDING;
        entry.handle = null;
        running.remove(entry);
        entry.lease = new Lease(entry.task.taskId(), entry.lease.attempt(), "expired-" + entry.lease.token(),
                entry.lease.expiresAt());
        pending.addFirst(entry);
        changed.signalAll();
    }

    private void resolveLocked(Entry entry, TaskResolution resolution)
    {
        if (entry.resolution == null) {
            unresolved--;
        }
        running.remove(entry);
        entry.state = State.RESOLVED;
        entry.resolution = resolution;
        changed.signalAll();
    }
}
