package dev.taskyard.plugin.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.taskyard.engine.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Runs the hooks of one stage (one call per component) in parallel, waits for all of them and reports each outcome;
 * detects hooks that run longer than the livelock limit. One executor serves a whole worker; thread-safe.
 *
 * <h2>Parallelism</h2>
 * The hooks of a stage run in parallel and the stage waits for all of them: no hook's start waits for another hook
 * to return, so hooks that block until every other hook of the stage runs (e.g. on a shared barrier) complete. How:
 * the calling thread takes part and runs hooks itself; whenever a thread enters a hook while other hooks of the stage
 * are still waiting and no other thread is free to take them, one helper thread from a shared pool is made to stand
 * by, and a helper that enters a hook does the same for the hooks after it. A stage of one hook runs on the calling
 * thread without any hand-off. Which thread runs which hook is not specified; outcomes come back in hook order.
 * Threads are pooled; no thread is created per task.
 *
 * <p>One exception keeps quick stages cheap (a pool hand-off costs several microseconds, more than most hooks): a
 * hook that has returned within 50 µs in at least 28 of its last 32 runs (counted per stage name and component; see
 * {@link HookSite}: a quick hook whose thread was preempted now and then stays trusted) is <em>trusted</em> and
 * entered without a helper standing by. Should a trusted hook be slow after all, the monitor (which ticks every
 * millisecond while stages run, and sleeps without ticking once none has for 0.1 s, so an idle worker costs no CPU)
 * hands the hooks waiting behind it to a helper as soon as it has run 1 ms; a hook slow in more than 4
 * of its last 32 runs loses the trust. So a hook's start is never delayed by another hook for longer than about a
 * millisecond, and never at all behind a hook that is new or was slow in more than 4 of its last 32 runs.
 *
 * <h2>Livelocks and stuck threads</h2>
 * A hook running longer than {@link Settings#livelockTimeout()} is reported (an error with an incident id in the
 * worker log and the task log), counted ({@link #livelocks()}), its outcome becomes a {@link HookLivelockException}
 * and the stage stops waiting for it; the thread running it is interrupted. A hook that has still not returned one
 * more {@code livelockTimeout} later is declared <em>stuck</em>: a thread that ignores interrupts cannot be reclaimed
 * in Java, so it is reported again (incident id), counted ({@link #stuckThreads()}) and handed to the
 * {@link StuckListener}. When the stuck thread is the stage's calling thread, the stage cannot return: the listener
 * (the worker) must resolve the task without it.
 */
public final class HookExecutor
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(HookExecutor.class);
    private static final AtomicInteger EXECUTORS = new AtomicInteger();
    /** How long a trusted hook may run before the hooks waiting behind it get a helper. */
    private static final Duration FORK_AFTER = Duration.ofMillis(1);
    /** Ticks in a row with no stage in flight after which the monitor sleeps until the next stage (~0.1 s). */
    private static final int IDLE_AFTER_TICKS = 100;

    private final Settings settings;
    private final StuckListener listener;
    private final ExecutorService pool;
    private final Thread monitor;
    private final long tickNanos;
    private volatile boolean closed;
    /** Set by the monitor before it sleeps for want of stages in flight; the next stage wakes it. */
    private volatile boolean monitorIdle;
    private final Set<StageRun<?>> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Map<String, HookSite>> sites = new ConcurrentHashMap<>();
    private final AtomicLong livelocks = new AtomicLong();
    private final AtomicInteger stuckThreads = new AtomicInteger();
    private final StageRun.Host host = new StageRun.Host()
    {
        @Override
        public void livelocked()
        {
            livelocks.incrementAndGet();
        }

        @Override
        public void stuck(StuckHook hook)
        {
            stuckThreads.incrementAndGet();
            try {
                listener.stuck(hook);
            }
            catch (RuntimeException e) {
                LOG.error("the stuck-hook listener failed for {}", hook, e);
            }
        }

        @Override
        public void released()
        {
            stuckThreads.decrementAndGet();
        }
    };

    /** @param livelockTimeout how long a hook may run before it is reported as a livelock */
    public record Settings(Duration livelockTimeout)
    {
        public Settings
        {
            requireNonNull(livelockTimeout, "livelockTimeout is null");
            if (livelockTimeout.isNegative() || livelockTimeout.isZero()) {
                throw new IllegalArgumentException("livelockTimeout must be positive");
            }
        }

        /** Livelock after 30 minutes. */
        public static Settings defaults()
        {
            return new Settings(Duration.ofMinutes(30));
        }
    }

    /**
     * A hook whose thread did not return after it was reported as a livelock and interrupted.
     *
     * @param context the task concerned; {@code null} for worker-wide stages
     * @param thread the stuck thread
     * @param callerThread whether it is the thread that called {@link #run}: that call cannot return
     * @param incidentId the id of the report in the worker log and the task log
     */
    public record StuckHook(String stage, String component, TaskContext context, Thread thread,
            boolean callerThread, String incidentId)
    {
        public StuckHook
        {
            requireNonNull(stage, "stage is null");
            requireNonNull(component, "component is null");
            requireNonNull(thread, "thread is null");
            requireNonNull(incidentId, "incidentId is null");
        }
    }

    /**
     * Told about stuck hooks, on the executor's monitor thread (once per hook); must return quickly and must not call
     * {@link #run}. Exceptions are logged.
     */
    @FunctionalInterface
    public interface StuckListener
    {
        void stuck(StuckHook hook);
    }

    /** A callable hook. */
    @FunctionalInterface
    public interface Call<T>
    {
        T call()
                throws Exception;
    }

    /**
     * One component's call in a stage.
     *
     * @param component names the caller in reports, e.g. {@code plugin "env"}
     */
    public record Hook<T>(String component, Call<T> call)
    {
        public Hook
        {
            requireNonNull(component, "component is null");
            requireNonNull(call, "call is null");
        }
    }

    /** What one hook did: a value, or an error (never both). */
    public record Outcome<T>(String component, T value, Throwable error)
    {
        public boolean failed()
        {
            return error != null;
        }
    }

    /** An executor whose stuck hooks are only reported and counted. */
    public HookExecutor(Settings settings)
    {
        this(settings, hook -> {});
    }

    public HookExecutor(Settings settings, StuckListener listener)
    {
        this.settings = requireNonNull(settings, "settings is null");
        this.listener = requireNonNull(listener, "listener is null");
        int id = EXECUTORS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                runnable -> daemon(runnable, "taskyard-hooks-" + id + "-" + threads.incrementAndGet()));
        this.tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
                Math.min(FORK_AFTER.toNanos(), settings.livelockTimeout().toNanos() / 8));
        // a thread of its own that parks between ticks: a ScheduledThreadPoolExecutor's fixed-delay task did the
        // same with a delay queue, a lock and a condition around each park (~30 % more CPU per tick, 1,000 ticks/s)
        this.monitor = daemon(this::watch, "taskyard-hooks-" + id + "-monitor");
        monitor.start();
    }

    public Settings settings()
    {
        return settings;
    }

    /**
     * Runs every hook, as described in the class documentation, and returns their outcomes in the order given. Returns
     * when every hook has returned or has been reported as a livelock. The calling thread may run any of the hooks.
     *
     * @param stage names the stage in reports, e.g. {@code started}
     * @param context the task whose log receives livelock reports; {@code null} for worker-wide stages
     */
    public <T> List<Outcome<T>> run(String stage, TaskContext context, List<Hook<T>> hooks)
    {
        requireNonNull(stage, "stage is null");
        requireNonNull(hooks, "hooks is null");
        if (hooks.isEmpty()) {
            return List.of();
        }
        HookSite[] hookSites = null;
        if (hooks.size() > 1) {
            Map<String, HookSite> stageSites = sites.computeIfAbsent(stage, s -> new ConcurrentHashMap<>());
            hookSites = new HookSite[hooks.size()];
            for (int i = 0; i < hookSites.length; i++) {
                hookSites[i] = stageSites.computeIfAbsent(hooks.get(i).component(), c -> new HookSite());
            }
        }
        StageRun<T> run = new StageRun<>(stage, context, hooks, hookSites, pool,
                settings.livelockTimeout(), FORK_AFTER, host);
        inFlight.add(run);
        // the monitor sets monitorIdle, then looks at inFlight once more before it sleeps: either it sees this run,
        // or this read sees it idle and wakes it (both sides write, then read, volatile state)
        if (monitorIdle) {
            LockSupport.unpark(monitor);
        }
        List<Outcome<T>> outcomes = run.execute();
        if (run.over()) {
            inFlight.remove(run);
        }
        return outcomes;
    }

    /** Hooks reported as livelocked since this executor was created. */
    public long livelocks()
    {
        return livelocks.get();
    }

    /** Threads stuck in a hook now: declared stuck (see the class documentation) and not returned since. */
    public int stuckThreads()
    {
        return stuckThreads.get();
    }

    /**
     * The monitor thread: a {@link #tick()} every {@code tickNanos} (after the previous one ended) while any stage is
     * in flight; once none has been for {@link #IDLE_AFTER_TICKS} ticks in a row, it sleeps until {@link #run} adds
     * one (no ticks, no CPU on an idle worker; a busy worker, whose stages come and go between ticks, keeps it ticking
     * rather than waking it at every stage). Ends when closed.
     */
    private void watch()
    {
        int emptyTicks = 0;
        while (!closed) {
            if (!inFlight.isEmpty()) {
                emptyTicks = 0;
            }
            else if (++emptyTicks >= IDLE_AFTER_TICKS) {
                emptyTicks = 0;
                monitorIdle = true;
                if (inFlight.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                monitorIdle = false;
                Thread.interrupted();
                continue;
            }
            LockSupport.parkNanos(this, tickNanos);
            // nothing interrupts this thread; a stray interrupt must not turn the park into a busy loop
            Thread.interrupted();
            if (closed) {
                return;
            }
            try {
                tick();
            }
            catch (RuntimeException e) {
                LOG.error("the hook monitor's check failed; it goes on", e);
            }
        }
    }

    private void tick()
    {
        long now = System.nanoTime();
        for (StageRun<?> run : inFlight) {
            if (run.check(now)) {
                inFlight.remove(run);
            }
        }
    }

    /**
     * Stops the pool and the monitor; hooks still running keep their threads until they return, and a stage still
     * waiting for a hook that never returns is no longer released by a livelock verdict.
     */
    @Override
    public void close()
    {
        closed = true;
        LockSupport.unpark(monitor);
        pool.shutdown();
    }

    private static Thread daemon(Runnable runnable, String name)
    {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
