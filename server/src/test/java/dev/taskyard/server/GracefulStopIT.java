package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM stops the server gracefully and it exits 0; a task still running past the grace period is handed back and
 * runs again after a restart, with the same attempt number.
 */
class GracefulStopIT
{
    @TempDir
    Path temp;

    @Test
    void aTaskStoppedWithTheServerRunsAgainAfterARestart()
            throws Exception
    {
        Path config = temp.resolve("taskyard.yaml");
        Files.writeString(config,
                "worker: {concurrency: 1, shutdownGrace: 0.5, leaseDuration: 2}\nengine: process\nplugins: {success: "
                + "{}, env: {}}\n");
        Path gate = temp.resolve("gate");
        Path data = temp.resolve("data");
        String id;
        try (TaskyardServer first = TaskyardServer.start(data, "--config", config.toString())) {
            id = first.submit("{\"command\":[\"sh\",\"-c\",\"echo run $RUN_ID; while [ ! -e " + gate
                    + " ]; do sleep 0.05; done\"]}");
            for (int i = 0; i < 100 && !first.task(id).path("status").asText().equals("RUNNING"); i++) {
                first.get("/v1/tasks/" + id + "?wait=1");
            }
            assertThat(first.task(id).path("status").asText()).isEqualTo("RUNNING");
            assertThat(first.stop()).as("exit code after SIGTERM").isZero();
        }
        Files.createFile(gate);
        try (TaskyardServer second = TaskyardServer.start(data, "--config", config.toString())) {
            JsonNode task = second.awaitTerminal(id, Duration.ofSeconds(60));
            assertThat(task.path("status").asText()).as("%s", second.stderr).isEqualTo("COMPLETED");
            assertThat(task.path("attempt").asInt()).as("the stopped attempt was handed back, not used up").isZero();
            assertThat(second.get("/v1/tasks/" + id + "/log").body()).isEqualTo("run 0\n");
        }
    }
}
