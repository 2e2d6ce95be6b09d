package dev.taskyard.plugin.builtin;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.BuildSandboxRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;

/**
 * {@code env}: sets {@code TASK_ID}, {@code RUN_ID}, the configured {@code extra} variables and the payload's
 * {@code env}, later ones overriding earlier ones, in the build stage. A variable another component already set is
 * a malformed payload; so is a payload {@code env} on an engine without environment variables.
 */
public final class EnvPluginProvider
        implements PluginProvider
{
    private static final JsonSchema CONFIG = Schemas.resource("env.config.schema.json");
    private static final JsonSchema PAYLOAD = Schemas.resource("env.payload.schema.json");

    @Override
    public String name()
    {
        return "env";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        Map<String, String> extra = strings(options.config().path("extra"));
        return new Plugin()
        {
            @Override
            public JsonSchema payloadSchema()
            {
                return PAYLOAD;
            }

            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                Map<String, String> fromPayload = strings(task.payload().path("env"));
                return new TaskPlugin()
                {
                    @Override
                    public void buildSandbox(BuildSandboxRequest request)
                            throws EngineException
                    {
                        Map<String, String> all = new LinkedHashMap<>();
                        all.put("TASK_ID", request.context().taskId());
                        all.put("RUN_ID", request.context().runId());
                        all.putAll(extra);
                        all.putAll(fromPayload);
                        for (Map.Entry<String, String> variable : all.entrySet()) {
                            try {
                                request.builder().setEnvironmentVariable(variable.getKey(), variable.getValue());
                            }
                            catch (NamingConflictException e) {
                                throw new MalformedPayloadException("environment variable " + variable.getKey()
                                        + " is also set by another component");
                            }
                            catch (FeatureNotSupportedException e) {
                                if (fromPayload.isEmpty()) {
                                    return;
                                }
                                throw new MalformedPayloadException("$.env: this worker's engine does not support "
                                        + "environment variables");
                            }
                        }
                    }
                };
            }
        };
    }

    private static Map<String, String> strings(JsonNode object)
    {
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            values.put(entry.getKey(), entry.getValue().asText());
        }
        return values;
    }
}
