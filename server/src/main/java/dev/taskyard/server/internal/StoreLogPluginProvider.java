package dev.taskyard.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

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
 * through {@link java.util.ServiceLoader} (it needs the store). Logging plugin: it never fails a task.
 */
public final class StoreLogPluginProvider
        implements PluginProvider
{
    public static final String NAME = "storelog";
    private static final Logger LOG = LoggerFactory.getLogger(StoreLogPluginProvider.class);

    private final TaskStore store;

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

    /** Copies one run's log on its own daemon thread; the later hooks wait for the copy to reach the end. */
    private final class Copier
            implements TaskPlugin
    {
        private final TaskContext context;
        private final Thread thread;

        Copier(TaskContext context)
        {
            this.context = context;
            this.thread = new Thread(this::copy, "taskyard-storelog-" + context.taskId());
            this.thread.setDaemon(true);
            this.thread.start();
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
            if (thread.isAlive()) {
                thread.interrupt();
            }
        }

        private void awaitCopy()
        {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
