package dev.taskyard.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.store.TaskStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * {@code storelog}: copies each task's live log into the {@link TaskStore} as it is written
 * ({@link TaskStore#appendLog}), and marks it complete ({@link TaskStore#closeLog}) once the worker has closed the
 * task log, so that API clients can follow the log of a running task. Registered by {@code taskyard serve}, not found
 * through {@link java.util.ServiceLoader} (it needs the store). Logging plugin: it never fails a task. A run's log is
 * followed live once the run has lasted {@value #LIVE_AFTER_MILLIS} ms, on a pooled daemon thread (idle ones end after
 * a minute); a run that ends sooner has its closed log copied on the task thread, without a hand-off (most runs of
 * tiny tasks). A run that wrote nothing costs the store no write: its log is neither appended to nor closed, and the
 * store reads it as an empty log that ends with the run (the rule of {@link TaskStore#closeLog}). Thread-safe.
 */
public final class StoreLogPluginProvider
        implements PluginProvider
{
    public static final String NAME = "storelog";
    /** How long a run lasts before its log is followed live (a shorter run's log is copied once it is closed). */
    static final long LIVE_AFTER_MILLIS = 100;
    static final Duration LIVE_AFTER = Duration.ofMillis(LIVE_AFTER_MILLIS);
    private static final Logger LOG = LoggerFactory.getLogger(StoreLogPluginProvider.class);

    private final TaskStore store;
    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService copiers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "taskyard-storelog-" + threads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });
    private final ScheduledThreadPoolExecutor timers = timers();

    private static ScheduledThreadPoolExecutor timers()
    {
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "taskyard-storelog-timer");
            thread.setDaemon(true);
            return thread;
        });
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    public StoreLogPluginProvider(TaskStore store)
    {
        this.store = requireNonNull(store, "store is null");
    }

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        return new Plugin()
        {
            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                return new Copier(task.context());
            }
        };
    }

    /**
     * Copies one run's log: on a pooled thread once the run has lasted {@link #LIVE_AFTER} (from then on the log is
     * followed live), or, for a run that ended sooner, on the task thread in its {@code finished} (or
     * {@code exception}, {@code dispose}) hook, which reads the closed log at once. The later hooks wait for the copy
     * to reach the end either way.
     */
    private final class Copier
            implements TaskPlugin
    {
        private final TaskContext context;
        private final AtomicBoolean started = new AtomicBoolean();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final ScheduledFuture<?> timer;
        private volatile Future<?> pooled;

        Copier(TaskContext context)
        {
            this.context = context;
            ScheduledFuture<?> scheduled = null;
            try {
                scheduled = timers.schedule(this::startLive, LIVE_AFTER.toNanos(), TimeUnit.NANOSECONDS);
            }
            catch (RejectedExecutionException e) {
                startLive();
            }
            this.timer = scheduled;
        }

        /** Starts following the log on a pooled thread, unless the copy started already. */
        private void startLive()
        {
            if (started.compareAndSet(false, true)) {
                try {
                    pooled = copiers.submit(this::copy);
                }
                catch (RejectedExecutionException e) {
                    done.complete(null);
                }
            }
        }

        /**
         * Copies the log to its end (the task log's close) and closes the stored log, unless the run wrote nothing:
         * a run that never appended reads as an empty log that ends with its run ({@link TaskStore#closeLog}), so an
         * empty log costs the store no write at all.
         */
        private void copy()
        {
            try {
                boolean closed = context.log().isClosed();
                long size = context.log().size(); // final once closed
                long copied = 0;
                if (!closed || size > 0) {
                    byte[] buffer = new byte[(int) Math.min(16 * 1024, Math.max(1024, size))];
                    try (InputStream in = context.log().newReader()) {
                        int n;
                        while ((n = in.read(buffer)) >= 0) {
                            if (n > 0) {
                                store.appendLog(context.taskId(), context.runId(), buffer, 0, n);
                                copied += n;
                            }
                        }
                    }
                }
                if (copied > 0) {
                    store.closeLog(context.taskId(), context.runId());
                }
            }
            catch (IOException | RuntimeException e) {
                LOG.warn("task {} run {}: copying the log to the store failed: {}", context.taskId(),
                        context.runId(), e.toString());
            }
            finally {
                done.complete(null);
            }
        }

        /** Copies the closed log on this thread unless the pooled copy started; then waits for the copy's end. */
        private void finish()
        {
            if (timer != null) {
                timer.cancel(false);
            }
            if (context.log().isClosed() && started.compareAndSet(false, true)) {
                copy();
                return;
            }
            startLive(); // the log is still open (no hook closes it first today): follow it as before
            awaitCopy();
        }

        @Override
        public void finished(FinishedRequest request)
        {
            finish();
        }

        @Override
        public void exception(ExceptionRequest request)
        {
            finish();
        }

        @Override
        public void dispose()
        {
            finish();
            Future<?> copy = pooled;
            if (copy != null) {
                copy.cancel(true); // interrupts a copy still running after the wait; nothing when it is over
            }
        }

        private void awaitCopy()
        {
            try {
                done.get(30, TimeUnit.SECONDS);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            catch (ExecutionException | TimeoutException | CancellationException e) {
                // copy() logs its own failures; a copy still running after 30 s is interrupted by dispose()
            }
        }
    }
}
