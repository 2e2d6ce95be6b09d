package dev.taskyard.plugin.builtin;

import java.io.IOException;
import java.io.InputStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.internal.Incidents;

/**
 * {@code result}: after the task ran, reads the JSON file its payload names ({@code result: {path}}) from the result
 * set and publishes it as the task's result. A missing file, a file larger than the configured {@code maxBytes}
 * (default 1 MiB) or a file that is not JSON makes the task fail with a log line saying which; a path the engine
 * refuses is a malformed payload.
 */
public final class ResultPluginProvider
        implements PluginProvider
{
    private static final JsonSchema CONFIG = Schemas.resource("result.config.schema.json");
    private static final JsonSchema PAYLOAD = Schemas.resource("result.payload.schema.json");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public String name()
    {
        return "result";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        int maxBytes = options.config().path("maxBytes").asInt(1024 * 1024);
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
                if (!task.payload().has("result")) {
                    return TaskPlugin.NONE;
                }
                String path = task.payload().path("result").path("path").asText();
                TaskReporter reporter = task.reporter();
                return new TaskPlugin()
                {
                    @Override
                    public boolean stopped(StoppedRequest request)
                            throws EngineException
                    {
                        byte[] content;
                        try (InputStream in = request.result().extractFile(path)) {
                            content = in.readNBytes(maxBytes + 1);
                        }
                        catch (ResourceNotFoundException e) {
                            return fail(request, "the task did not write its result file " + path);
                        }
                        catch (MalformedPayloadException e) {
                            throw new MalformedPayloadException("$.result.path: " + e.getMessage());
                        }
                        catch (FeatureNotSupportedException e) {
                            throw new MalformedPayloadException("$.result: this worker's engine cannot extract files");
                        }
                        catch (IOException e) {
                            String incident = Incidents.report(request.context(),
                                    "reading the result file " + path + " failed", e);
                            throw new NonFatalInternalErrorException("reading the result file failed (incident id "
                                    + incident + ")", e);
                        }
                        if (content.length > maxBytes) {
                            return fail(request, "the result file " + path
                                    + " is larger than the limit of " + maxBytes + " bytes");
                        }
                        try {
                            reporter.result(MAPPER.readTree(content));
                            return true;
                        }
                        catch (JsonProcessingException e) {
                            return fail(request, "the result file " + path + " is not valid JSON: "
                                    + e.getOriginalMessage());
                        }
                        catch (IOException e) {
                            return fail(request, "the result file " + path + " cannot be read: " + e.getMessage());
                        }
                    }
                };
            }
        };
    }

    private static boolean fail(StoppedRequest request, String why)
    {
        Incidents.writeTaskLog(request.context(), "[taskyard] result: " + why);
        return false;
    }

}
