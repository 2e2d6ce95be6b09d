package dev.taskyard.server;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.remote.RemoteEngineProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The remote server is killed with SIGKILL while it runs a task of the remote engine, and started again on the same
 * port and data folder: the engine rides out the outage, the remote re-runs the task (attempt 1) and the run
 * succeeds with the new run's log, and the remote still holds one task.
 */
class RemoteRestartIT
{
    @TempDir
    Path temp;

    @Test
    @Timeout(180)
    void aRemoteKilledMidTaskAndRestartedFinishesTheTask()
            throws Exception
    {
        Path config = temp.resolve("back.json");
        Files.writeString(config, """
                {"worker": {"concurrency": 2, "leaseDuration": 2}, "engine": "process", "plugins": {"success": {}}}
                """);
        Path data = temp.resolve("data");
        TaskyardServer back = TaskyardServer.start(data, "--config", config.toString());
        int port = URI.create(back.baseUrl).getPort();
        ObjectNode engineConfig =
                TaskyardServer.JSON.createObjectNode().put("baseUrl", back.baseUrl).put("token", back.token)
                .put("unreachableTimeoutSeconds", 90);
        engineConfig.putObject("retry").put("initialBackoffMillis", 50).put("maxBackoffMillis", 500);
        engineConfig.putObject("poll").put("minIntervalMillis", 50).put("maxIntervalMillis", 500)
                .put("longPollSeconds", 2);
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = EngineRegistry.load(getClass().getClassLoader())
                .createEngine(RemoteEngineProvider.NAME, engineConfig,
                new EngineContext(Files.createDirectories(temp.resolve("engine")),
                        LoggerFactory.getLogger("remote-restart"), new WorkerIdentity("test", "restart"), tracker));
        TaskContext context = TaskContext.builder().taskId("restart-1").runId("0").logSpillFolder(temp).build();
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        payload.putObject("remote").putArray("command").add("sh").add("-c").add("echo started; sleep 3; echo done");
        TaskyardServer restarted = null;
        try {
            var sandbox = engine.newSandboxBuilder(new SandboxOptions(payload, context)).startSandbox();
            CompletableFuture<ResultSet> result = CompletableFuture.supplyAsync(() -> {
                try {
                    return sandbox.waitForResult();
                }
                catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!context.log().contentAsString().contains("started") && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(context.log().contentAsString()).as("the first run started").contains("started");
            back.kill();
            Thread.sleep(500);
            restarted = TaskyardServer.startOnPort(data, port, "--config", config.toString());

            ResultSet done = result.get(120, TimeUnit.SECONDS);
            assertThat(done.success()).as("%s", done.termination()).isTrue();
            context.log().close();
            String log = context.log().contentAsString();
            assertThat(log).contains("runs again (attempt 1)").endsWith("started\ndone\n");
            assertThat(restarted.listAll()).singleElement().asString().endsWith("=COMPLETED");
            done.dispose();
        }
        finally {
            engine.dispose();
            context.dispose();
            back.kill();
            if (restarted != null) {
                restarted.close();
            }
        }
        assertThat(tracker.isEmpty()).isTrue();
    }
}
