package dev.taskyard.worker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.testkit.forwarding.FaultyEngineProvider;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.InMemoryTaskQueue;
import dev.taskyard.worker.TaskResolution;
import dev.taskyard.worker.TaskSpec;
import dev.taskyard.worker.Worker;
import dev.taskyard.worker.WorkerConfig;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A declarative whole-worker test: a config, tasks in, and for each task the expected resolution, log lines and
 * artifacts out. {@link #run()} submits the tasks to an {@link InMemoryTaskQueue}, runs a real {@link Worker} (engines
 * and plugins found with ServiceLoader, plus {@code faulty-mock}), waits for every resolution, stops the worker
 * gracefully and then checks everything. The {@code tasklog} plugin is enabled if the config does not mention it,
 * so that logs can be checked.
 */
public final class WorkerTestCase
{
    private final String config;
    private final List<Expectation> tasks = new ArrayList<>();

    private WorkerTestCase(String config)
    {
        this.config = config;
    }

    /** A case with a worker config in YAML or JSON; {@code worker.workerId} and {@code worker.tempFolder}
     * are filled in. */
    public static WorkerTestCase withConfig(String yaml)
    {
        return new WorkerTestCase(yaml);
    }

    /** Adds a task and returns its expectations for chaining. */
    public Expectation task(String taskId, String payload)
    {
        Expectation expectation = new Expectation(this, taskId, payload);
        tasks.add(expectation);
        return expectation;
    }

    /** What one task must end with. */
    public static final class Expectation
    {
        private final WorkerTestCase owner;
        private final String taskId;
        private final String payload;
        private String resolution = "completed";
        private final List<String> logContains = new ArrayList<>();
        private final List<String> logLacks = new ArrayList<>();
        private final Map<String, String> artifacts = new LinkedHashMap<>();
        private final List<String> errorArtifacts = new ArrayList<>();
        private List<Integer> progress;

        private Expectation(WorkerTestCase owner, String taskId, String payload)
        {
            this.owner = owner;
            this.taskId = taskId;
            this.payload = payload;
        }

        /** {@code completed}, {@code failed} or {@code exception/<reason>}. */
        public Expectation resolves(String expected)
        {
            this.resolution = expected;
            return this;
        }

        public Expectation logContains(String text)
        {
            logContains.add(text);
            return this;
        }

        public Expectation logLacks(String text)
        {
            logLacks.add(text);
            return this;
        }

        /** An artifact with exactly this content. */
        public Expectation artifact(String name, String content)
        {
            artifacts.put(name, content);
            return this;
        }

        public Expectation errorArtifact(String name)
        {
            errorArtifacts.add(name);
            return this;
        }

        public Expectation progress(Integer... values)
        {
            progress = List.of(values);
            return this;
        }

        /** Back to the case, to add another task. */
        public WorkerTestCase and()
        {
            return owner;
        }

        /** Runs the whole case. */
        public Result run()
                throws Exception
        {
            return owner.run();
        }
    }

    /** What the run left behind, for further checks. */
    public record Result(InMemoryTaskQueue queue, FolderArtifactStore artifacts, Worker worker) {}

    /** Runs the worker and checks every expectation. */
    public Result run()
            throws Exception
    {
        Path temp = Files.createTempDirectory("taskyard-worker-test");
        ObjectNode document = (ObjectNode) new YAMLMapper().readTree(config);
        ObjectNode worker = document.has("worker") ? (ObjectNode) document.get("worker") : document.putObject("worker");
        if (!worker.has("workerId")) {
            worker.put("workerId", "worker-1");
        }
        worker.put("tempFolder", temp.toString());
        ObjectNode plugins = document.has("plugins") ? (ObjectNode) document.get("plugins")
                : document.putObject("plugins");
        if (!plugins.has("tasklog")) {
            plugins.putObject("tasklog");
        }
        EngineRegistry engines = EngineRegistry.load().register(new FaultyEngineProvider());
        PluginRegistry registry = PluginRegistry.load();
        WorkerConfig workerConfig = WorkerConfig.of(document, engines, registry);
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        for (Expectation task : tasks) {
            queue.submit(new TaskSpec(task.taskId, new YAMLMapper().readTree(task.payload)));
        }
        FolderArtifactStore store = new FolderArtifactStore(temp.resolve("artifacts"));
        Worker running = Worker.create(workerConfig, engines, registry, queue, store);
        running.start();
        boolean resolved = queue.awaitAllResolved(Duration.ofMinutes(2));
        running.stopGracefully();
        assertThat(running.awaitTermination(Duration.ofMinutes(2))).as("the worker stopped").isTrue();
        assertThat(resolved).as("every task was resolved").isTrue();
        for (Expectation task : tasks) {
            Optional<TaskResolution> resolution = queue.resolution(task.taskId);
            assertThat(resolution).as("resolution of " + task.taskId).get().hasToString(task.resolution);
            List<Artifact> artifacts = store.list(task.taskId, "0");
            String log = artifacts.stream().anyMatch(a -> a.name().equals("public/logs/task.log"))
                    ? read(store, task.taskId, "public/logs/task.log") : "";
            for (String text : task.logContains) {
                assertThat(log).as("log of " + task.taskId).contains(text);
            }
            for (String text : task.logLacks) {
                assertThat(log).as("log of " + task.taskId).doesNotContain(text);
            }
            for (Map.Entry<String, String> artifact : task.artifacts.entrySet()) {
                assertThat(read(store, task.taskId, artifact.getKey()))
                        .as("artifact " + artifact.getKey() + " of " + task.taskId).isEqualTo(artifact.getValue());
            }
            for (String name : task.errorArtifacts) {
                assertThat(artifacts).as("artifacts of " + task.taskId).anySatisfy(a -> {
                    assertThat(a.name()).isEqualTo(name);
                    assertThat(a.isError()).isTrue();
                });
            }
            if (task.progress != null) {
                assertThat(queue.progress(task.taskId)).as("progress of " + task.taskId).isEqualTo(task.progress);
            }
        }
        return new Result(queue, store, running);
    }

    private static String read(FolderArtifactStore store, String taskId, String name)
            throws IOException
    {
        try (InputStream in = store.open(taskId, "0", name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
