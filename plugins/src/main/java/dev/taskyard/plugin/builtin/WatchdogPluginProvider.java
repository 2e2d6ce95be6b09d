package dev.taskyard.plugin.builtin;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.WorkerControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code watchdog}: a worker-wide backstop. Every task hook and every idle report resets a timer; while any task is
 * running (between {@code started} and {@code stopped}) the timer is paused. When it expires (the worker is stuck:
 * no task progresses and the claim loop does not report), the worker is stopped at once. Config: {@code timeout}
 * in seconds (default 45 minutes; keep it above the hook livelock limit so that livelocks are reported first).
 */
public final class WatchdogPluginProvider
        implements PluginProvider
{
    private static final Logger LOG = LoggerFactory.getLogger(WatchdogPluginProvider.class);
    private static final JsonSchema CONFIG = Schemas.resource("watchdog.config.schema.json");

    @Override
    public String name()
    {
        return "watchdog";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        Duration timeout = Schemas.seconds(options.config().path("timeout").isMissingNode()
                ? com.fasterxml.jackson.databind.node.DoubleNode.valueOf(2700) : options.config().get("timeout"));
        return new Watchdog(timeout, options.environment().control(), options.environment().scheduler());
    }

    /** The worker-wide timer. Thread-safe. */
    private static final class Watchdog
            implements Plugin
    {
        private final long timeoutNanos;
        private final Duration timeout;
        private final WorkerControl control;
        private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        private final AtomicInteger running = new AtomicInteger();
        private final AtomicBoolean fired = new AtomicBoolean();
        private final ScheduledFuture<?> check;

        Watchdog(Duration timeout, WorkerControl control, java.util.concurrent.ScheduledExecutorService scheduler)
        {
            this.timeout = timeout;
            this.timeoutNanos = timeout.toNanos();
            this.control = control;
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(5), timeoutNanos / 10);
            this.check = scheduler.scheduleWithFixedDelay(this::check, period, period, TimeUnit.NANOSECONDS);
        }

        private void touch()
        {
            lastActivity.set(System.nanoTime());
        }

        private void check()
        {
            if (running.get() > 0) {
                touch();
                return;
            }
            if (System.nanoTime() - lastActivity.get() > timeoutNanos && fired.compareAndSet(false, true)) {
                LOG.error("watchdog: no task or idle activity for {}; {} live threads; stopping the worker now",
                        Schemas.render(timeout), Thread.activeCount());
                control.stopNow("watchdog: no activity for " + Schemas.render(timeout));
            }
        }

        @Override
        public TaskPlugin newTaskPlugin(TaskPluginOptions options)
        {
            touch();
            return new TaskPlugin()
            {
                private boolean counted;

                @Override
                public void started(StartedRequest request)
                {
                    running.incrementAndGet();
                    counted = true;
                    touch();
                }

                @Override
                public boolean stopped(StoppedRequest request)
                {
                    release();
                    return true;
                }

                @Override
                public void exception(ExceptionRequest request)
                {
                    release();
                }

                @Override
                public void dispose()
                {
                    release();
                }

                private void release()
                {
                    if (counted) {
                        counted = false;
                        running.decrementAndGet();
                    }
                    touch();
                }
            };
        }

        @Override
        public void reportIdle(Duration idleFor)
        {
            touch();
        }

        @Override
        public void dispose()
        {
            check.cancel(false);
        }
    }
}
