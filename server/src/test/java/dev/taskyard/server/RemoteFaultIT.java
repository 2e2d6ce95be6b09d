package dev.taskyard.server;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.remote.RemoteEngineProvider;
import dev.taskyard.engine.remote.RemoteResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 200 tasks through the remote engine while a proxy between it and the real server fails 30% of reads with
 * 425/429/502/503/504 and resets 10% of connections (before or after forwarding, submits included): every task
 * resolves as it should, the server holds exactly one task per submit, and every log arrives whole.
 */
class RemoteFaultIT
{
    private static final int TASKS = 200;
    private static final int LINES = 40;

    @TempDir
    Path temp;

    @Test
    @Timeout(600)
    void twoHundredTasksThroughAFaultyNetwork()
            throws Exception
    {
        Path config = temp.resolve("remote.json");
        Files.writeString(config, """
                {"worker": {"concurrency": 8, "leaseDuration": 2},
                 "engine": "process", "plugins": {"env": {}, "success": {}, "result": {}, "tasklog": {}}}
                """);
        try (TaskyardServer remote = TaskyardServer.start(temp.resolve("data"), "--config", config.toString());
                FaultProxy proxy = new FaultProxy(URI.create(remote.baseUrl), 0.30, 0.10)) {
            ObjectNode engineConfig = TaskyardServer.JSON.createObjectNode()
                    .put("baseUrl", proxy.baseUrl())
                    .put("token", remote.token)
                    .put("maxConcurrency", 16);
            engineConfig.putObject("retry").put("maxAttempts", 5).put("initialBackoffMillis", 10)
                    .put("maxBackoffMillis", 100);
            engineConfig.putObject("poll").put("minIntervalMillis", 20).put("maxIntervalMillis", 200)
                    .put("longPollSeconds", 2);
            ResourceTracker tracker = new ResourceTracker();
            Path engineTemp = Files.createDirectories(temp.resolve("engine"));
            Engine engine = EngineRegistry.load(getClass().getClassLoader())
                    .createEngine(RemoteEngineProvider.NAME, engineConfig,
                    new EngineContext(engineTemp, LoggerFactory.getLogger("remote-fault-test"),
                            new WorkerIdentity("test", "fault"), tracker));
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<String>> runs = new ArrayList<>();
                for (int i = 0; i < TASKS; i++) {
                    int task = i;
                    runs.add(pool.submit(() -> run(engine, task)));
                }
                List<String> failures = new ArrayList<>();
                for (Future<String> run : runs) {
                    String failure = run.get(300, TimeUnit.SECONDS);
                    if (failure != null) {
                        failures.add(failure);
                    }
                }
                assertThat(failures.stream().limit(5).toList())
                        .as("%d runs went wrong, the first 5 listed; proxy faults %s", failures.size(),
                        proxy.counts()).isEmpty();
            }
            finally {
                pool.shutdownNow();
                engine.dispose();
            }
            assertThat(tracker.isEmpty()).as("resources left: %s", tracker.live()).isTrue();

            List<String> all = remote.listAll();
            assertThat(all).as("one remote task per submit").hasSize(TASKS);
            assertThat(all).allMatch(t -> t.endsWith("=COMPLETED"));
            Map<String, Long> counts = proxy.counts();
            LoggerFactory.getLogger(RemoteFaultIT.class)
                    .info("{} tasks through the fault proxy; its counts: {}", TASKS, counts);
            assertThat(counts.keySet().stream().filter(k -> k.startsWith("read-")).mapToLong(counts::get).sum())
                    .as("%s", counts).isGreaterThan(100);
            assertThat(proxy.count("reset-after-POST")).as("submits whose answer was lost: %s", counts).isPositive();
            assertThat(proxy.count("reset-before-POST")).as("submits that never arrived: %s", counts).isPositive();
            assertThat(proxy.count("reset-after-GET")).as("reads cut off midway: %s", counts).isPositive();
        }
    }

    /** Runs one task; returns what went wrong, or null. */
    private String run(Engine engine, int task)
            throws Exception
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        // half the lines, a pause so the log is followed live, the other half
        payload.putObject("remote").putArray("command").add("sh").add("-c")
                .add("i=0; while [ $i -lt " + LINES + " ]; do echo \"task $1 line $i\"; i=$((i+1)); if [ $i -eq "
                        + LINES / 2 + " ]; then sleep 0.2; fi; done")
                .add("sh").add(String.valueOf(task));
        Path spill = Files.createDirectories(temp.resolve("logs"));
        TaskContext context = TaskContext.builder().taskId("fault-" + task).runId("0").logSpillFolder(spill).build();
        try {
            Sandbox sandbox = engine.newSandboxBuilder(new SandboxOptions(payload, context)).startSandbox();
            ResultSet result = sandbox.waitForResult();
            try {
                context.log().close();
                String expected = IntStream.range(0, LINES).mapToObj(i -> "task " + task + " line " + i + "\n")
                        .collect(Collectors.joining());
                String log = context.log().contentAsString();
                if (!result.success()) {
                    return "task " + task + " did not succeed: " + result.termination() + " "
                            + ((RemoteResult) result).remoteTask();
                }
                if (!log.equals(expected)) {
                    return "task " + task + " log differs: " + log.length() + " chars instead of "
                            + expected.length() + ":\n" + log;
                }
                return null;
            }
            finally {
                result.dispose();
            }
        }
        catch (Exception e) {
            return "task " + task + " failed: " + e;
        }
        finally {
            context.dispose();
        }
    }
}
