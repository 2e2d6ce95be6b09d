package dev.taskyard.plugin;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.internal.StageRun;

import static java.util.Objects.requireNonNull;

/**
 * Runs the hooks of one stage (one call per component) as if in parallel, waits for all of them and reports each
 * outcome; detects hooks that run longer than the livelock limit. One executor serves a whole worker; thread-safe.
 *
 * <p>How it stays cheap: the calling thread runs the hooks itself, one after another; when a stage has been running
 * longer than {@code forkAfter} (a hook is slow: an upload, a download), the hooks not yet started are handed to a
 * shared pool and run concurrently. Quick hooks thus cost no thread hand-off, and slow hooks still overlap. Threads
 * are pooled; no thread is created per task.
 *
 * <p>A hook running longer than {@code livelockTimeout} is reported (an error with an incident id in the worker log
 * and the task log) and its outcome becomes a {@link HookLivelockException}; the stage stops waiting for it. If it
 * runs on the calling thread, that thread is interrupted; a hook ignoring the interrupt keeps its thread.
 */
public final class HookExecutor
        implements AutoCloseable
{
    private static final AtomicInteger EXECUTORS = new AtomicInteger();

    private final Settings settings;
    private final ExecutorService pool;
    private final ScheduledExecutorService monitor;
    private final Set<StageRun<?>> inFlight = ConcurrentHashMap.newKeySet();

    /**
     * @param forkAfter how long a stage runs on the calling thread before the remaining hooks go to the pool
     * @param livelockTimeout how long a hook may run before it is reported as a livelock
     */
    public record Settings(Duration forkAfter, Duration livelockTimeout)
    {
        public Settings
        {
            requireNonNull(forkAfter, "forkAfter is null");
            requireNonNull(livelockTimeout, "livelockTimeout is null");
            if (forkAfter.isNegative() || livelockTimeout.isNegative() || livelockTimeout.isZero()) {
                throw new IllegalArgumentException("forkAfter must not be negative and livelockTimeout must be positive");
            }
        }

        /** Fork after 2 ms, livelock after 30 minutes. */
        public static Settings defaults()
        {
            return new Settings(Duration.ofMillis(2), Duration.ofMinutes(30));
        }
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

    public HookExecutor(Settings settings)
    {
        this.settings = requireNonNull(settings, "settings is null");
        int id = EXECUTORS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                runnable -> daemon(runnable, "taskyard-hooks-" + id + "-" + threads.incrementAndGet()));
        ScheduledThreadPoolExecutor scheduled = new ScheduledThreadPoolExecutor(1, runnable -> daemon(runnable, "taskyard-hooks-" + id + "-monitor"));
        scheduled.setRemoveOnCancelPolicy(true);
        this.monitor = scheduled;
        long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
                Math.min(TimeUnit.SECONDS.toNanos(1), Math.min(Math.max(settings.forkAfter().toNanos(), 1), settings.livelockTimeout().toNanos() / 8)));
        monitor.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    }

    public Settings settings()
    {
        return settings;
    }

    /**
     * Runs every hook, the first ones on the calling thread, and returns their outcomes in the order given.
     *
     * @param stage names the stage in reports, e.g. {@code started}
     * @param context the task whose log receives livelock reports; {@code null} for worker-wide stages
     */
    public <T> List<Outcome<T>> run(String stage, TaskContext context, List<Hook<T>> hooks)
    {
        return execute(stage, context, hooks, false);
    }

    /** Like {@link #run}, but starts every hook but the first on the pool at once: for slow, worker-wide work. */
    public <T> List<Outcome<T>> runConcurrently(String stage, TaskContext context, List<Hook<T>> hooks)
    {
        return execute(stage, context, hooks, true);
    }

    private <T> List<Outcome<T>> execute(String stage, TaskContext context, List<Hook<T>> hooks, boolean forkAll)
    {
        requireNonNull(stage, "stage is null");
        requireNonNull(hooks, "hooks is null");
        if (hooks.isEmpty()) {
            return List.of();
        }
        StageRun<T> run = new StageRun<>(stage, context, hooks, pool, settings.livelockTimeout());
        inFlight.add(run);
        try {
            return run.execute(forkAll);
        }
        finally {
            inFlight.remove(run);
        }
    }

    private void tick()
    {
        long now = System.nanoTime();
        long forkNanos = settings.forkAfter().toNanos();
        for (StageRun<?> run : inFlight) {
            run.check(now, forkNanos);
        }
    }

    /** Stops the pool and the monitor; hooks still running keep their threads until they return. */
    @Override
    public void close()
    {
        monitor.shutdownNow();
        pool.shutdown();
    }

    private static Thread daemon(Runnable runnable, String name)
    {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }
}
