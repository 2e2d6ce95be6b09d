package dev.taskyard.plugin.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.plugin.PluginEnvironment;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.WorkerControl;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.PluginManager;
import dev.taskyard.plugin.internal.TaskPlugins;
import org.slf4j.LoggerFactory;

/**
 * Runs one plugin through a whole task life-cycle against an engine (the mock engine unless told otherwise), the way
 * a worker does: the plugin's config is validated, its payload schema merged with the engine's, the payload
 * validated and split; then prepare → build → start → started → wait → stopped → finished, or the exception hook
 * when a stage fails; then everything is disposed, and the engine must hold nothing afterwards.
 *
 * <p>Artifacts go to a {@link FolderArtifactStore} in a fresh temporary folder, which the returned {@link PluginRun}
 * owns: close it to delete the folder (the harness deletes it itself when the run fails to complete); progress,
 * results and requests to stop the worker are recorded. Engines are found by name with {@link EngineRegistry}, so the
 * mock needs only to be
 * on the class path ({@code taskyard-engine-testkit}, test scope). Thread-safe: each call is independent.
 */
public final class PluginHarness
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private PluginHarness() {}

    /**
     * Runs the case.
     *
     * @throws EngineException the worker could not start (invalid config, schema conflict, a plugin failed to start)
     * @throws AssertionError the engine leaked resources
     */
    public static PluginRun run(PluginTestCase testCase)
            throws EngineException, InterruptedException
    {
        Path temp;
        try {
            temp = Files.createTempDirectory("taskyard-plugin-harness");
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PluginRun run = null;
        try {
            run = runIn(temp, testCase);
            return run;
        }
        finally {
            if (run == null) {
                deleteTree(temp);
            }
        }
    }

    private static PluginRun runIn(Path temp, PluginTestCase testCase)
            throws EngineException, InterruptedException
    {
        WorkerIdentity identity = new WorkerIdentity("plugin-harness", "worker-1");
        ResourceTracker tracker = new ResourceTracker();
        EngineRegistry engines = testCase.engines().orElseGet(EngineRegistry::load);
        Engine engine = engines.createEngine(testCase.engine(), json(testCase.engineConfig()),
                new EngineContext(temp, LoggerFactory.getLogger("engine"), identity, tracker));
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "plugin-harness-scheduler");
            thread.setDaemon(true);
            return thread;
        });
        List<String> stops = new CopyOnWriteArrayList<>();
        WorkerControl control = new WorkerControl()
        {
            @Override
            public void stopGracefully(String reason)
            {
                stops.add("gracefully: " + reason);
            }

            @Override
            public void stopNow(String reason)
            {
                stops.add("now: " + reason);
            }
        };
        FolderArtifactStore store = new FolderArtifactStore(temp.resolve("artifacts"));
        HookExecutor executor = new HookExecutor(new HookExecutor.Settings(Duration.ofMinutes(5)));
        PluginManager manager = null;
        try {
            PluginRegistry plugins = testCase.plugins().orElseGet(PluginRegistry::load);
            manager = PluginManager.create(new PluginManager.Options(plugins,
                    JSON.createObjectNode().set(testCase.plugin(), json(testCase.config())), "$.plugins",
                            testCase.engine(), engine,
                    new PluginEnvironment(identity, temp, store, control, scheduler), executor));
            return new Run(manager, testCase, temp, store, stops).execute();
        }
        finally {
            if (manager != null) {
                manager.dispose();
            }
            engine.dispose();
            executor.close();
            scheduler.shutdownNow();
            if (!tracker.isEmpty()) {
                throw new AssertionError("the engine leaked " + tracker.live());
            }
        }
    }

    /** Deletes a folder and everything in it; a folder that is already gone is fine. */
    static void deleteTree(Path folder)
    {
        if (!Files.exists(folder)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(folder)) {
            for (Path path : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + folder, e);
        }
    }

    private static JsonNode json(String text)
    {
        try {
            return JSON.readTree(text);
        }
        catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + text, e);
        }
    }

    /** The state of one run. */
    private static final class Run
    {
        private final PluginManager manager;
        private final PluginTestCase testCase;
        private final FolderArtifactStore store;
        private final List<String> stops;
        private final TaskContext context;
        private final List<String> hooks = new ArrayList<>();
        private final List<Integer> progress = new CopyOnWriteArrayList<>();
        private volatile JsonNode result;
        private Optional<Boolean> engineSuccess = Optional.empty();
        private Optional<Boolean> pluginSuccess = Optional.empty();

        private final Path temp;

        Run(PluginManager manager, PluginTestCase testCase, Path temp, FolderArtifactStore store, List<String> stops)
        {
            this.temp = temp;
            this.manager = manager;
            this.testCase = testCase;
            this.store = store;
            this.stops = stops;
            this.context = TaskContext.builder().taskId(testCase.taskId()).runId(testCase.runId()).logSpillFolder(temp)
                    .logWrapper(manager.logWrapper()).build();
        }

        PluginRun execute()
                throws InterruptedException
        {
            TaskReporter reporter = new TaskReporter()
            {
                @Override
                public void progress(int percent)
                {
                    progress.add(percent);
                }

                @Override
                public void result(JsonNode document)
                {
                    result = document;
                }
            };
            PluginManager.Prepared prepared = manager.prepare(context, json(testCase.payload()), reporter);
            TaskPlugins plugins = prepared.plugins();
            SandboxBuilder builder = prepared.builder().orElse(null);
            Sandbox sandbox = null;
            ResultSet resultSet = null;
            EngineException error = prepared.error().orElse(null);
            try {
                if (error == null) {
                    hooks.add("build");
                    plugins.buildSandbox(builder);
                    SandboxBuilder starting = builder;
                    builder = null;
                    sandbox = starting.startSandbox();
                    hooks.add("started");
                    plugins.started(sandbox);
                    resultSet = sandbox.waitForResult();
                    sandbox = null;
                    engineSuccess = Optional.of(resultSet.success());
                    hooks.add("stopped");
                    pluginSuccess = Optional.of(plugins.stopped(resultSet));
                    context.log().close();
                    hooks.add("finished");
                    plugins.finished(engineSuccess.get() && pluginSuccess.get());
                }
            }
            catch (EngineException e) {
                error = e;
            }
            Optional<ExceptionReason> exception = Optional.empty();
            if (error != null) {
                ExceptionReason reason = error instanceof MalformedPayloadException ? ExceptionReason.MALFORMED_PAYLOAD
                        : ExceptionReason.INTERNAL_ERROR;
                exception = Optional.of(reason);
                if (error instanceof MalformedPayloadException malformed) {
                    malformed.messages().forEach(m -> context.log().writeLine("[taskyard] malformed payload: " + m));
                }
                context.cancel(reason.id());
                context.log().close();
                hooks.add("exception:" + reason.id());
                try {
                    plugins.exception(reason);
                }
                catch (EngineException e) {
                    error.addSuppressed(e);
                }
            }
            context.log().close();
            hooks.add("dispose");
            try {
                plugins.dispose();
                if (builder != null) {
                    builder.discard();
                }
                if (sandbox != null) {
                    try {
                        sandbox.abort();
                    }
                    catch (SandboxTerminatedException e) {
                        resultSet = sandbox.waitForResult();
                    }
                }
                if (resultSet != null) {
                    resultSet.dispose();
                }
            }
            catch (EngineException e) {
                throw new AssertionError("cleanup failed: " + e.getMessage(), e);
            }
            String log = context.log().contentAsString();
            context.dispose();
            try {
                return new PluginRun(exception, Optional.ofNullable(error).map(Throwable::getMessage), engineSuccess,
                        pluginSuccess, List.copyOf(hooks), log,
                        store.list(testCase.taskId(), testCase.runId()), List.copyOf(progress),
                                Optional.ofNullable(result), List.copyOf(stops), store,
                        testCase.taskId(), testCase.runId(), temp);
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
