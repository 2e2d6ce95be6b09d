package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real servers chained: a front {@code taskyard serve} whose engine is {@code remote}, pointing at a back one that
 * runs the process engine. A task submitted to the front runs on the back; its log and status come back through the
 * front, and a payload the back's schema refuses fails the front task as malformed.
 */
class RemoteServeIT
{
    @TempDir
    Path temp;

    @Test
    void aFrontServerRunsItsTasksOnABackServer()
            throws Exception
    {
        Path backConfig = temp.resolve("back.json");
        Files.writeString(backConfig, """
                {"worker": {"concurrency": 2, "leaseDuration": 2}, "engine": "process", \
                "plugins": {"env": {}, "success": {}, "tasklog": {}}}
                """);
        try (TaskyardServer back = TaskyardServer.start(temp.resolve("back-data"), "--config", backConfig.toString())) {
            Path frontConfig = temp.resolve("front.json");
            Files.writeString(frontConfig,
                    "{\"worker\": {\"concurrency\": 2}, \"engine\": \"remote\", \"engines\": {\"remote\": "
                    + "{\"baseUrl\": \""
                    + back.baseUrl + "\", \"tokenFile\": \"" + back.tokenFile
                            + "\"}}, \"plugins\": {\"env\": {}, \"success\": {}, \"tasklog\": {}}}");
            try (TaskyardServer front =
                    TaskyardServer.start(temp.resolve("front-data"), "--config", frontConfig.toString())) {
                String ok = front.submit("{\"remote\": {\"command\": [\"sh\", \"-c\", \"echo \\\"hello from "
                        + "$GREETING\\\"\"]}, \"env\": {\"GREETING\": \"the front\"}}");
                JsonNode done = front.awaitTerminal(ok, Duration.ofSeconds(60));
                assertThat(done.path("status").asText()).as("%s\n%s", done, front.stderr).isEqualTo("COMPLETED");
                assertThat(front.get("/v1/tasks/" + ok + "/log").body()).contains("hello from the front");
                assertThat(back.listAll()).singleElement().asString().endsWith("=COMPLETED");

                assertThat(done.path("exit_code").asInt(-1)).isZero();
                String failing = front.submit("{\"remote\": {\"command\": [\"sh\", \"-c\", \"exit 3\"]}}");
                JsonNode failed = front.awaitTerminal(failing, Duration.ofSeconds(60));
                assertThat(failed.path("error").path("reason").asText()).isEqualTo("task-failed");
                assertThat(failed.path("exit_code").asInt(-1))
                        .as("the back's exit code, reported through the remote engine").isEqualTo(3);
                assertThat(failed.path("error").path("detail").asText()).contains("exit code 3");

                String malformed = front.submit("{\"remote\": {\"command\": \"not-an-array\"}}");
                JsonNode refused = front.awaitTerminal(malformed, Duration.ofSeconds(60));
                assertThat(refused.path("error").path("reason").asText()).isEqualTo("malformed-payload");
                // An exception resolution reaches the store before the run's disposal has copied the last log lines
                // (Worker reports, then disposes): wait for them instead of reading once (known gap, see issue 12/16
                // notes).
                assertThat(logEventually(front, malformed, "$.remote.command"))
                        .as("the malformed-payload messages go to the task log").contains("$.remote.command");
                assertThat(refused.path("error").path("detail").asText()).as("and into the error's detail")
                        .contains("$.remote.command");
                assertThat(back.listAll()).hasSize(2);

                // the token of the back server appears nowhere in the front's output
                assertThat(front.stderr.toString()).doesNotContain(back.token);
            }
        }
    }
    @Test
    void aRunHandedBackAtAGracefulStopGetsAFreshRemoteTask()
            throws Exception
    {
        Path backConfig = temp.resolve("back.json");
        Files.writeString(backConfig, """
                {"worker": {"concurrency": 2, "leaseDuration": 2}, "engine": "process", \
                "plugins": {"success": {}, "tasklog": {}}}
                """);
        try (TaskyardServer back = TaskyardServer.start(temp.resolve("back-data"), "--config", backConfig.toString())) {
            Path frontConfig = temp.resolve("front.json");
            Files.writeString(frontConfig,
                    "{\"worker\": {\"concurrency\": 1, \"shutdownGrace\": 0.2}, \"engine\": \"remote\", \"engines\": "
                    + "{\"remote\": {\"baseUrl\": \""
                    + back.baseUrl + "\", \"tokenFile\": \"" + back.tokenFile
                            + "\"}}, \"plugins\": {\"success\": {}, \"tasklog\": {}}}");
            Path frontData = temp.resolve("front-data");
            String id;
            try (TaskyardServer front = TaskyardServer.start(frontData, "--config", frontConfig.toString())) {
                id = front.submit("{\"remote\": {\"command\": [\"sh\", \"-c\", \"echo begin; sleep 3; echo end\"]}}");
                long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                while (!front.task(id).path("status").asText().equals("RUNNING") && System.nanoTime() < end) {
                    Thread.sleep(50);
                }
                assertThat(front.stop()).as("graceful stop").isZero();
            }
            try (TaskyardServer front = TaskyardServer.start(frontData, "--config", frontConfig.toString())) {
                JsonNode done = front.awaitTerminal(id, Duration.ofSeconds(60));
                assertThat(done.path("status").asText()).as("%s\n%s", done, front.stderr).isEqualTo("COMPLETED");
                assertThat(front.get("/v1/tasks/" + id + "/log").body()).contains("begin").contains("end");
            }
            assertThat(back.listAll()).as("the cancelled remote task of the stopped run, and a fresh one").hasSize(2)
                    .anyMatch(t -> t.endsWith("=CANCELED")).anyMatch(t -> t.endsWith("=COMPLETED"));
        }
    }

    private static String logEventually(TaskyardServer server, String taskId, String expected)
            throws Exception
    {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String log = server.get("/v1/tasks/" + taskId + "/log").body();
        while (!log.contains(expected) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            log = server.get("/v1/tasks/" + taskId + "/log").body();
        }
        return log;
    }
}
