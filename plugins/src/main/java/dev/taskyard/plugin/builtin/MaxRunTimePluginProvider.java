package dev.taskyard.plugin.builtin;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.internal.Incidents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code maxruntime}: kills the sandbox when the task has run for its maximum run time; the task then fails and its
 * log says why. Config: {@code maxRunTime} (seconds) and {@code perTaskLimit}: with {@code allow} (the default) a
 * task may set a lower {@code maxRunTime} in its payload, with {@code require} it must, with {@code forbid} the key
 * does not exist. A payload value above the configured maximum is a malformed payload. Timers run on the worker's
 * shared scheduler; no thread is created per task.
 */
public final class MaxRunTimePluginProvider
        implements PluginProvider
{
    private static final Logger LOG = LoggerFactory.getLogger(MaxRunTimePluginProvider.class);
    private static final JsonSchema CONFIG = Schemas.resource("maxruntime.config.schema.json");

    @Override
    public String name()
    {
        return "maxruntime";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        Duration max = Schemas.seconds(options.config().path("maxRunTime"));
        String perTask = options.config().path("perTaskLimit").asText("allow");
        JsonSchema payload = switch (perTask) {
            case "forbid" -> JsonSchema.emptyObject();
            case "require" -> JsonSchema.parse("{\"type\":\"object\","
                    + "\"properties\":{\"maxRunTime\":{\"type\":\"number\",\"exclusiveMinimum\":0}},"
                    + "\"required\":[\"maxRunTime\"]}");
            default -> JsonSchema.parse("{\"type\":\"object\","
                    + "\"properties\":{\"maxRunTime\":{\"type\":\"number\",\"exclusiveMinimum\":0}}}");
        };
        ScheduledExecutorService scheduler = options.environment().scheduler();
        return new Plugin()
        {
            @Override
            public JsonSchema payloadSchema()
            {
                return payload;
            }

            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
                    throws EngineException
            {
                Duration limit = max;
                if (task.payload().has("maxRunTime")) {
                    limit = Schemas.seconds(task.payload().get("maxRunTime"));
                    if (limit.compareTo(max) > 0) {
                        throw new MalformedPayloadException("$.maxRunTime: " + Schemas.render(limit)
                                + " is above this worker's maximum of " + Schemas.render(max));
                    }
                }
                return new Limit(limit, scheduler);
            }
        };
    }

    /** The timer of one task. The timer callback runs on the scheduler, concurrently with the hooks. */
    private static final class Limit
            implements TaskPlugin
    {
        private final Duration limit;
        private final ScheduledExecutorService scheduler;
        private volatile boolean killed;
        private ScheduledFuture<?> timer;

        Limit(Duration limit, ScheduledExecutorService scheduler)
        {
            this.limit = limit;
            this.scheduler = scheduler;
        }

        @Override
        public void started(StartedRequest request)
        {
            Sandbox sandbox = request.sandbox();
            TaskContext context = request.context();
            timer = scheduler.schedule(() -> kill(sandbox, context), limit.toNanos(), TimeUnit.NANOSECONDS);
        }

        private void kill(Sandbox sandbox, TaskContext context)
        {
            killed = true;
            Incidents.writeTaskLog(context, "[taskyard] maxruntime: the task ran longer than its maximum run time of "
                    + Schemas.render(limit) + " and was killed");
            try {
                sandbox.kill();
            }
            catch (EngineException e) {
                // it terminated or was aborted meanwhile: nothing left to kill
            }
            catch (RuntimeException e) {
                LOG.warn("maxruntime could not kill the sandbox of {}", context, e);
            }
        }

        @Override
        public boolean stopped(StoppedRequest request)
        {
            cancel();
            return !killed;
        }

        @Override
        public void exception(ExceptionRequest request)
        {
            cancel();
        }

        @Override
        public void dispose()
        {
            cancel();
        }

        private void cancel()
        {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }
}
