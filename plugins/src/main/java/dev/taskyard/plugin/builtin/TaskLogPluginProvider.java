package dev.taskyard.plugin.builtin;

import java.io.IOException;
import java.io.InputStream;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.internal.Incidents;

/**
 * {@code tasklog}: stores the closed task log as an artifact ({@code public/logs/task.log} unless configured) when
 * the run finishes or ends as an exception, so that the log explaining a malformed payload survives too.
 */
public final class TaskLogPluginProvider
        implements PluginProvider
{
    private static final JsonSchema CONFIG = Schemas.resource("tasklog.config.schema.json");

    @Override
    public String name()
    {
        return "tasklog";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        String name = options.config().path("name").asText("public/logs/task.log");
        ArtifactStore store = options.environment().artifacts();
        return new Plugin()
        {
            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                return new TaskPlugin()
                {
                    @Override
                    public void finished(FinishedRequest request)
                            throws EngineException
                    {
                        upload(request.context());
                    }

                    @Override
                    public void exception(ExceptionRequest request)
                            throws EngineException
                    {
                        upload(request.context());
                    }

                    private void upload(TaskContext context)
                            throws EngineException
                    {
                        try (InputStream log = context.log().newReader()) {
                            store.put(context.taskId(), context.runId(), name, log);
                        }
                        catch (IOException e) {
                            String incident = Incidents.report(context, "storing the task log failed", e);
                            throw new NonFatalInternalErrorException("storing the task log failed (incident id "
                                    + incident + ")", e);
                        }
                    }
                };
            }
        };
    }
}
