package dev.taskyard.store;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.Worker;
import dev.taskyard.worker.WorkerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.store.TestStores.request;
import static org.assertj.core.api.Assertions.assertThat;

/** The real worker claims from, reports to, and stores artifacts in the SQLite store. */
class WorkerIntegrationTest
{
    @TempDir
    Path folder;

    private static String mock(String function, String argument)
    {
        return "{\"delay\":0,\"function\":\"" + function + "\",\"argument\":\"" + argument + "\"}";
    }

    @Test
    void theWorkerRunsTasksFromTheStore()
            throws Exception
    {
        ObjectNode document = (ObjectNode) new YAMLMapper().readTree("""
                worker: {workerId: w1, concurrency: 2, pollInterval: 0.05, leaseDuration: 30}
                engine: mock
                plugins:
                  success: {}
                  tasklog: {}
                  progress: {pollInterval: 0.01}
                """);
        ((ObjectNode) document.get("worker")).put("tempFolder", folder.resolve("worker").toString());
        EngineRegistry engines = EngineRegistry.load();
        PluginRegistry plugins = PluginRegistry.load();
        WorkerConfig config = WorkerConfig.of(document, engines, plugins);
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(folder.resolve("store")).open()) {
            Map<String, String> expected = new LinkedHashMap<>();
            expected.put(store.submit(request(mock("write-log", "hello"))).task().taskId(), "COMPLETED");
            expected.put(store.submit(request(mock("write-error-log",
                    "broken"))).task().taskId(), "FAILED/task-failed");
            expected.put(store.submit(request("{\"delay\":0,\"function\":\"true\"}")).task().taskId(),
                    "FAILED/malformed-payload");
            expected.put(store.submit(request(mock("write-log", "::progress 45"))).task().taskId(), "COMPLETED");
            Worker worker = Worker.create(config, engines, plugins, store, store);
            worker.start();
            try {
                for (String id : expected.keySet()) {
                    TaskRecord task = awaitTerminal(store, id);
                    String outcome = task.status() + task.error().map(e -> "/" + e.reason()).orElse("");
                    assertThat(outcome).as("task " + id).isEqualTo(expected.get(id));
                    assertThat(task.attempt()).isZero();
                }
            }
            finally {
                worker.stopGracefully();
                assertThat(worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
            }
            String hello = expected.keySet().iterator().next();
            assertThat(store.list(hello, "0")).extracting(a -> a.name()).contains("public/logs/task.log");
            try (InputStream in = store.open(hello, "0", "public/logs/task.log")) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("hello");
            }
            assertThat(store.countByStatus()).containsEntry(TaskStatus.COMPLETED, 2L)
                    .containsEntry(TaskStatus.FAILED, 2L);
        }
    }

    @Test
    void cancellingARunningTaskInTheStoreAbortsItsRun()
            throws Exception
    {
        ObjectNode document = (ObjectNode) new YAMLMapper().readTree("""
                worker: {workerId: w1, concurrency: 1, pollInterval: 0.05, leaseDuration: 1}
                engine: mock
                plugins: {success: {}}
                """);
        ((ObjectNode) document.get("worker")).put("tempFolder", folder.resolve("worker").toString());
        EngineRegistry engines = EngineRegistry.load();
        PluginRegistry plugins = PluginRegistry.load();
        WorkerConfig config = WorkerConfig.of(document, engines, plugins);
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(folder.resolve("store")).open()) {
            TaskRecord task = store.submit(
                    request("{\"delay\":120000,\"function\":\"write-log-sleep\",\"argument\":\"zzz\"}")).task();
            Worker worker = Worker.create(config, engines, plugins, store, store);
            worker.start();
            try {
                TaskRecord current = task;
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (current.status() == TaskStatus.PENDING && System.nanoTime() < deadline) {
                    current = store.awaitChange(task.taskId(), current.version(), Duration.ofSeconds(10)).orElseThrow();
                }
                assertThat(current.status()).isEqualTo(TaskStatus.RUNNING);
                store.cancel(task.taskId(), "changed my mind");
            }
            finally {
                worker.stopGracefully();
                assertThat(worker.awaitTermination(Duration.ofMinutes(1)))
                        .as("the aborted run let the worker stop").isTrue();
            }
            TaskRecord canceled = store.get(task.taskId()).orElseThrow();
            assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
            assertThat(canceled.error().orElseThrow().detail()).isEqualTo("changed my mind");
        }
    }

    private static TaskRecord awaitTerminal(SqliteTaskStore store, String id)
            throws Exception
    {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        TaskRecord task = store.get(id).orElseThrow();
        while (!task.status().isTerminal() && System.nanoTime() < deadline) {
            Optional<TaskRecord> changed = store.awaitChange(id, task.version(), Duration.ofSeconds(10));
            task = changed.orElseThrow();
        }
        return task;
    }
}
