package dev.taskyard.plugin.builtin;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;

/**
 * {@code logprefix}: writes sorted {@code key: value} lines at the top of every task log: {@code taskId},
 * {@code runId}, {@code workerGroup}, {@code workerId}, {@code tasksSinceStartup}, and every configured key
 * (a configured key replaces a built-in one of the same name).
 */
public final class LogPrefixPluginProvider
        implements PluginProvider
{
    private static final JsonSchema CONFIG = Schemas.resource("logprefix.config.schema.json");

    @Override
    public String name()
    {
        return "logprefix";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        Map<String, String> configured = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = options.config().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            configured.put(entry.getKey(), entry.getValue().asText());
        }
        String workerGroup = options.environment().worker().workerGroup();
        String workerId = options.environment().worker().workerId();
        AtomicLong tasks = new AtomicLong();
        return new Plugin()
        {
            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                Map<String, String> lines = new TreeMap<>();
                lines.put("taskId", task.context().taskId());
                lines.put("runId", task.context().runId());
                lines.put("workerGroup", workerGroup);
                lines.put("workerId", workerId);
                lines.put("tasksSinceStartup", Long.toString(tasks.getAndIncrement()));
                lines.putAll(configured);
                StringBuilder prefix = new StringBuilder();
                lines.forEach((key, value) -> prefix.append(key).append(": ").append(value).append('\n'));
                task.context().log().write(prefix.toString());
                return TaskPlugin.NONE;
            }
        };
    }
}
