package dev.taskyard.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * through {@link java.util.ServiceLoader} (it needs the store). Logging plugin: it never fails a task. Each run's
 * copy runs on a pooled daemon thread (idle ones end after a minute), not on a thread started per run. Thread-safe.
 */
public final class StoreLogPluginProvider
        implements PluginProvider
{
    public static final String NAME = "storelog";
    private static final Logger LOG = LoggerFactory.getLogger(StoreLogPluginProvider.class);

    private final TaskStore store;
    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService copiers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "taskyard-storelog-" + threads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

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

    /** Copies one run's log on a pooled thread; the later hooks wait for the copy to reach the end. */
    private final class Copier
            implements TaskPlugin
    {
        private final TaskContext context;
        private final Future<?> copy;

        Copier(TaskContext context)
        {
            this.context = context;
            this.copy = copiers.submit(this::copy);
        }

        private void copy()
        {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = context.log().newReader()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (n > 0) {
                        store.appendLog(context.taskId(), context.runId(), buffer, 0, n);
                    }
                }
                store.closeLog(context.taskId(), context.runId());
            }
            catch (IOException | RuntimeException e) {
                LOG.warn("task {} run {}: copying the log to the store failed: {}", context.taskId(),
                        context.runId(), e.toString());
            }
        }

        @Override
        public void finished(FinishedRequest request)
        {
            awaitCopy();
        }

        @Override
        public void exception(ExceptionRequest request)
        {
            awaitCopy();
        }

        @Override
        public void dispose()
        {
            awaitCopy();
            copy.cancel(true); // interrupts a copy still running after the wait; nothing when it is over
        }

        private void awaitCopy()
        {
            try {
                copy.get(30, TimeUnit.SECONDS);
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
