package dev.taskyard.plugin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.PluginManager;
import org.slf4j.LoggerFactory;

/** Shared test fixtures: a mock engine, an environment, small plugins. */
final class Fixtures
        implements AutoCloseable
{
    static final ObjectMapper JSON = new ObjectMapper();

    final Path temp;
    final ResourceTracker tracker = new ResourceTracker();
    final Engine engine;
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final PluginEnvironment environment;

    Fixtures()
            throws EngineException
    {
        try {
            temp = Files.createTempDirectory("taskyard-plugins");
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        WorkerIdentity identity = new WorkerIdentity("test", "worker-1");
        engine = EngineRegistry.load()
                .createEngine("mock", JSON.createObjectNode(),
                new EngineContext(temp, LoggerFactory.getLogger("engine"), identity, tracker));
        environment = new PluginEnvironment(identity, temp, new FolderArtifactStore(temp.resolve("artifacts")),
                WorkerControl.ignoring(), scheduler);
    }

    static JsonNode json(String text)
    {
        try {
            return JSON.readTree(text);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    PluginManager manager(PluginRegistry registry, String config, HookExecutor executor)
            throws EngineException
    {
        return PluginManager.create(new PluginManager.Options(registry, json(config), "$.plugins", "mock", engine,
                environment, executor));
    }

    TaskContext context()
    {
        return TaskContext.builder().taskId("task-1").logSpillFolder(temp).build();
    }

    @Override
    public void close()
            throws EngineException
    {
        engine.dispose();
        scheduler.shutdownNow();
    }

    /** A provider made of lambdas. */
    interface Factory
    {
        Plugin create(PluginOptions options)
                throws EngineException;
    }

    static PluginProvider provider(String name, String configSchema, Factory factory)
    {
        return new PluginProvider()
        {
            @Override
            public String name()
            {
                return name;
            }

            @Override
            public JsonSchema configSchema()
            {
                return configSchema == null ? JsonSchema.emptyObject() : JsonSchema.parse(configSchema);
            }

            @Override
            public Plugin createPlugin(PluginOptions options)
                    throws EngineException
            {
                return factory.create(options);
            }
        };
    }

    interface TaskFactory
    {
        TaskPlugin create(TaskPluginOptions options)
                throws EngineException;
    }

    static Plugin plugin(String payloadSchema, TaskFactory factory)
    {
        return new Plugin()
        {
            @Override
            public JsonSchema payloadSchema()
            {
                return payloadSchema == null ? JsonSchema.emptyObject() : JsonSchema.parse(payloadSchema);
            }

            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions options)
                    throws EngineException
            {
                return factory.create(options);
            }
        };
    }
}
