package dev.taskyard.worker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
import dev.taskyard.engine.testkit.forwarding.FaultyEngine;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.plugin.PluginEnvironment;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.WorkerControl;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.PluginManager;
import dev.taskyard.worker.TaskRun;
import org.slf4j.LoggerFactory;

/**
 * A mock engine (wrapped in {@link FaultyEngine}) and a plugin manager, for state-machine tests. Closing it disposes
 * everything and checks that the engine holds nothing.
 */
public final class TestRig
        implements AutoCloseable
{
    public static final ObjectMapper JSON = new ObjectMapper();

    private final Path temp;
    private final ResourceTracker tracker = new ResourceTracker();
    private final Engine engine;
    private final HookExecutor executor;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final PluginManager manager;
    private final FolderArtifactStore artifacts;

    public TestRig(PluginRegistry registry, String pluginsConfig, HookExecutor.Settings settings)
            throws EngineException
    {
        try {
            this.temp = Files.createTempDirectory("taskyard-rig");
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        WorkerIdentity identity = new WorkerIdentity("test", "worker-1");
        Engine mock = EngineRegistry.load().createEngine("mock", JSON.createObjectNode(),
                new EngineContext(temp, LoggerFactory.getLogger("engine"), identity, tracker));
        this.engine = new FaultyEngine(mock);
        this.executor = new HookExecutor(settings);
        this.artifacts = new FolderArtifactStore(temp.resolve("artifacts"));
        this.manager = PluginManager.create(new PluginManager.Options(registry, json(pluginsConfig),
                "$.plugins", "mock", engine,
                new PluginEnvironment(identity, temp, artifacts, WorkerControl.ignoring(), scheduler), executor));
    }

    public TestRig(PluginRegistry registry, String pluginsConfig)
            throws EngineException
    {
        this(registry, pluginsConfig, HookExecutor.Settings.defaults());
    }

    public static JsonNode json(String text)
    {
        try {
            return JSON.readTree(text);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public PluginManager manager()
    {
        return manager;
    }

    public FolderArtifactStore artifacts()
    {
        return artifacts;
    }

    public TaskContext newContext(String taskId)
    {
        return TaskContext.builder().taskId(taskId).logSpillFolder(temp).build();
    }

    public TaskRun newRun(String taskId, String payload)
    {
        return new TaskRun(new TaskRun.Options(manager, newContext(taskId), json(payload), TaskReporter.discarding(),
                scheduler, Duration.ZERO));
    }

    public ResourceTracker tracker()
    {
        return tracker;
    }

    @Override
    public void close()
            throws Exception
    {
        manager.dispose();
        engine.dispose();
        executor.close();
        scheduler.shutdownNow();
        if (!tracker.isEmpty()) {
            throw new AssertionError("the engine leaked " + tracker.live());
        }
    }
}
