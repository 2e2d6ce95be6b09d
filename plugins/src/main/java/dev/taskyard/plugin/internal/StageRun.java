package dev.taskyard.plugin.internal;

import java.time.Duration;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.taskyard.engine.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One execution of a stage by {@link HookExecutor}.
 *
 * <p><b>Runners.</b> The calling thread (the owner) and helper threads from the pool are <em>runners</em>: each takes
 * the next hook not yet started (one atomic increment, so every hook is started exactly once) and runs it, until no
 * hook is left. {@code free} counts the runners not inside a hook (the owner looking for work, helpers submitted or
 * looking for work). A runner about to enter a hook while hooks are still waiting, and leaving no runner free,
 * submits a helper first, unless the hook's {@link HookSite} is trusted to return at once; then the monitor's
 * {@link #check} submits the helper if the hook runs past {@code forkAfter}. Hence a hook's start never waits for
 * another hook to return (beyond {@code forkAfter} behind a trusted one). When hooks are quick, the owner has usually
 * run all of them before a helper wakes up; the helper then finds nothing to do.
 *
 * <p><b>Livelocks.</b> The executor's monitor calls {@link #check(long)}: a hook running longer than the limit is
 * marked livelocked (its outcome becomes a {@link HookLivelockException}, reported with an incident id; the stage stops
 * waiting for it) and its runner thread is interrupted. A livelocked hook that has not returned one more limit later
 * is declared <em>stuck</em>: reported once more and handed to the {@link Host}. A thread stuck in Java code that
 * ignores interrupts cannot be reclaimed; if it is the owner, the stage cannot return either, which is why the host
 * (the worker) is told. Outcomes are published exactly once (a CAS from running to done or livelocked), so a late
 * hook never overwrites a livelock verdict.
 *
 * <p>Thread-safe.
 */
public final class StageRun<T>
{
    private static final Logger LOG = LoggerFactory.getLogger("dev.taskyard.incidents");

    private static final int RUNNING = 1;
    private static final int DONE = 2;
    private static final int LIVELOCKED = 3;

    /** What a stage run tells its executor. */
    public interface Host
    {
        /** A hook was reported as livelocked. */
        void livelocked();

        /** A livelocked hook's thread did not return after the interrupt. */
        void stuck(HookExecutor.StuckHook hook);

        /** A thread reported as stuck returned after all. */
        void released();
    }

    private final String stage;
    private final TaskContext context;
    private final List<HookExecutor.Hook<T>> hooks;
    private final ExecutorService pool;
    private final Host host;
    private final long livelockNanos;
    private final long forkNanos;
    private final HookSite[] sites;
    private final Duration livelockTimeout;
    private final int n;
    private final AtomicInteger cursor = new AtomicInteger();
    /** Runners not inside a hook: the owner while it looks for hooks, helpers submitted or looking for hooks. */
    private final AtomicInteger free = new AtomicInteger(1);
    private final AtomicIntegerArray state;
    private final AtomicLongArray started;
    private final Object[] values;
    private final Throwable[] errors;
    private final CountDownLatch done;
    private final Thread owner = Thread.currentThread();

    // guarded by this
    private final Thread[] runners;
    private final boolean[] stuck;
    private int lingering;
    private boolean ended;

    /**
     * @param sites the history of each hook, in hook order; {@code null} for a stage of one hook (it runs on the
     *        calling thread, with nothing to wait for it)
     */
    public StageRun(String stage, TaskContext context, List<HookExecutor.Hook<T>> hooks, HookSite[] sites,
            ExecutorService pool, Duration livelockTimeout,
                    Duration forkAfter, Host host)
    {
        this.sites = sites;
        this.forkNanos = forkAfter.toNanos();
        this.stage = stage;
        this.context = context;
        this.hooks = hooks;
        this.pool = pool;
        this.host = host;
        this.livelockTimeout = livelockTimeout;
        this.livelockNanos = livelockTimeout.toNanos();
        this.n = hooks.size();
        this.state = new AtomicIntegerArray(n);
        this.started = new AtomicLongArray(n);
        this.values = new Object[n];
        this.errors = new Throwable[n];
        this.done = new CountDownLatch(n);
        this.runners = new Thread[n];
        this.stuck = new boolean[n];
    }

    /** Runs the stage with the calling thread as the owner and returns the outcomes in hook order. */
    public List<HookExecutor.Outcome<T>> execute()
    {
        try {
            drain();
            awaitAll();
        }
        finally {
            synchronized (this) {
                ended = true;
            }
        }
        return new AbstractList<>()
        {
            @Override
            @SuppressWarnings("unchecked")
            public HookExecutor.Outcome<T> get(int index)
            {
                return new HookExecutor.Outcome<>(hooks.get(index).component(), (T) values[index], errors[index]);
            }

            @Override
            public int size()
            {
                return n;
            }
        };
    }

    /**
     * Called by the monitor: detects livelocked and stuck hooks.
     *
     * @return {@link #over()}
     */
    public boolean check(long now)
    {
        int claimed = Math.min(cursor.get(), n);
        boolean slow = false;
        for (int i = 0; i < claimed; i++) {
            long start = started.get(i);
            if (start == 0) {
                continue;
            }
            int current = state.get(i);
            if (current == RUNNING && now - start > forkNanos) {
                slow = true;
            }
            if (current == RUNNING && now - start > livelockNanos) {
                livelock(i);
            }
            else if (current == LIVELOCKED && now - start > 2 * livelockNanos) {
                declareStuck(i);
            }
        }
        if (slow && claimed < n && free.get() == 0) {
            // a trusted hook turned out slow while others wait behind it: give them a runner
            standBy();
        }
        return over();
    }

    /** Whether the stage has returned and no livelocked hook still runs, so the monitor can forget it. */
    public synchronized boolean over()
    {
        return ended && lingering == 0;
    }

    /** Runs hooks until none is left; the calling thread counts as a free runner while it is here. */
    private void drain()
    {
        int index;
        while ((index = next()) >= 0) {
            if (sites != null) {
                enter(index);
            }
            else {
                free.decrementAndGet();
            }
            run(index);
            free.incrementAndGet();
        }
        free.decrementAndGet();
    }

    private int next()
    {
        if (cursor.get() >= n) {
            return -1;
        }
        int index = cursor.getAndIncrement();
        if (index >= n) {
            return -1;
        }
        state.set(index, RUNNING);
        started.set(index, System.nanoTime() | 1);
        return index;
    }

    /**
     * The calling runner is about to enter a hook: if it was the last free runner and hooks are still waiting, a
     * helper is submitted to stand by for them.
     */
    private void enter(int index)
    {
        if (free.decrementAndGet() > 0 || cursor.get() >= n || sites[index].trusted()) {
            return;
        }
        standBy();
    }

    private void standBy()
    {
        free.incrementAndGet();
        try {
            pool.execute(this::help);
        }
        catch (RejectedExecutionException e) {
            // the executor is closed: the hooks still waiting run in turn on the runners there are
            free.decrementAndGet();
        }
    }

    private void help()
    {
        if (cursor.get() >= n) {
            free.decrementAndGet();
            return;
        }
        if (context != null) {
            MDC.put("taskId", context.taskId());
            MDC.put("runId", context.runId());
        }
        try {
            drain();
        }
        finally {
            if (context != null) {
                MDC.remove("taskId");
                MDC.remove("runId");
            }
        }
    }

    private void run(int index)
    {
        Thread me = Thread.currentThread();
        synchronized (this) {
            runners[index] = me;
        }
        Object value = null;
        Throwable error = null;
        try {
            value = hooks.get(index).call().call();
        }
        catch (Throwable t) {
            error = t;
        }
        if (sites != null) {
            sites[index].record(System.nanoTime() - started.get(index));
        }
        if (state.compareAndSet(index, RUNNING, DONE)) {
            values[index] = value;
            errors[index] = error;
            done.countDown();
        }
        boolean released = false;
        synchronized (this) {
            runners[index] = null;
            if (state.get(index) == LIVELOCKED) {
                Thread.interrupted(); // the monitor's interrupt was meant for the livelocked hook
                lingering--;
                released = stuck[index];
            }
        }
        if (released) {
            LOG.warn("{} returned from its {} hook after it was reported as stuck; its thread {} is free again",
                    hooks.get(index).component(), stage, me.getName());
            host.released();
        }
    }

    private void livelock(int index)
    {
        synchronized (this) {
            if (!state.compareAndSet(index, RUNNING, LIVELOCKED)) {
                return;
            }
            lingering++;
        }
        String component = hooks.get(index).component();
        String what = "livelock detected: " + component + " ran its " + stage
                + " hook for longer than " + livelockTimeout;
        String incident = Incidents.report(context, what, null);
        errors[index] = new HookLivelockException(what + " (incident id " + incident + ")");
        host.livelocked();
        done.countDown();
        synchronized (this) {
            Thread runner = runners[index];
            if (runner != null) {
                runner.interrupt();
            }
        }
    }

    private void declareStuck(int index)
    {
        Thread runner;
        synchronized (this) {
            runner = runners[index];
            if (runner == null || stuck[index]) {
                return;
            }
            stuck[index] = true;
        }
        String component = hooks.get(index).component();
        boolean ownerThread = runner == owner;
        String what = "stuck thread: " + component + " has not returned from its " + stage + " hook " + livelockTimeout
                + " after it was reported as a livelock and interrupted; its thread " + runner.getName()
                + (ownerThread ? " (the stage's own thread)" : "") + " cannot be reclaimed";
        String incident = Incidents.report(context, what, null);
        host.stuck(new HookExecutor.StuckHook(stage, component, context, runner, ownerThread, incident));
    }

    private void awaitAll()
    {
        boolean interrupted = false;
        while (true) {
            try {
                if (done.await(livelockNanos, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
            catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
