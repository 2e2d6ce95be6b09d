package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 through the real jar: the process engine with {@code "recovery": true} runs 40 tasks of
 * {@code sleep 1; echo run-N >> file}; the server is SIGKILLed mid-run and started again on the same data folder. The
 * restarted worker re-attaches to the tasks that were running (or had ended unreported) instead of running them again:
 * every task ends COMPLETED with attempt 0, every command ran exactly once (its line is in the file once), and every
 * task's log is whole and in order.
 */
class RecoveryIT
{
    private static final int TASKS = 40;

    @TempDir
    Path temp;

    private static String payload(int n, Path file)
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        payload.putArray("command").add("/bin/sh").add("-c")
                .add("echo start-" + n + "; sleep 1; echo run-" + n + " >> " + file + "; echo end-" + n);
        return payload.toString();
    }

    @Test
    @Timeout(600)
    void runningTasksSurviveASigkillOfTheServerAndRunOnce()
            throws Exception
    {
        killAndRestart(false);
    }

    /** SIGTERM with a grace period (0.2 s) shorter than the tasks: the running tasks are detached, not killed. */
    @Test
    @Timeout(600)
    void runningTasksSurviveAGracefulStopShorterThanThemAndRunOnce()
            throws Exception
    {
        killAndRestart(true);
    }

    private void killAndRestart(boolean graceful)
            throws Exception
    {
        Path config = temp.resolve("config.json");
        Files.writeString(config, """
                {"worker": {"concurrency": 8, "leaseDuration": 10, "shutdownGrace": 0.2},
                 "engine": "process", "engines": {"process": {"recovery": true}},
                 "plugins": {"env": {}, "success": {}, "tasklog": {}}}
                """);
        Path data = temp.resolve("data");
        Path file = temp.resolve("runs.txt");
        List<String> ids = new ArrayList<>();
        try (TaskyardServer first = TaskyardServer.start(data, "--config", config.toString())) {
            for (int i = 0; i < TASKS; i++) {
                ids.add(first.submit(payload(i, file)));
            }
            // kill it while tasks run: some have printed their first line, none is done with the whole batch
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(file) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(300);
            if (graceful) {
                assertThat(first.stop()).as("exit code after SIGTERM; server log:%n%s", first.stderr).isZero();
            }
            else {
                first.kill();
            }
        }
        long linesAtKill = Files.readAllLines(file).size();
        assertThat(linesAtKill).as("commands done when the server was killed").isBetween(1L, (long) TASKS - 1);
        try (TaskyardServer second = TaskyardServer.startOnPort(data, 0, Map.of("TASKYARD_LOG_LEVEL", "INFO"),
                "--config", config.toString())) {
            Map<String, String> outcomes = new TreeMap<>();
            for (int i = 0; i < TASKS; i++) {
                JsonNode task = second.awaitTerminal(ids.get(i), Duration.ofSeconds(180));
                outcomes.put(ids.get(i), task.path("status").asText() + "/" + task.path("attempt").asInt());
                String log = second.get("/v1/tasks/" + ids.get(i) + "/log").body();
                assertThat(log).as("log of task %d (%s); server log:%n%s", i, ids.get(i), second.stderr)
                        .isEqualTo("start-" + i + "\nend-" + i + "\n");
            }
            assertThat(outcomes.values()).as("%s%nserver log:%n%s", outcomes, second.stderr)
                    .containsOnly("COMPLETED/0");
            long recovered = second.stderr.toString().lines()
                    .filter(line -> line.contains("recovered its sandbox")).count();
            assertThat(recovered).as("runs recovered by the restarted worker; server log:%n%s", second.stderr)
                    .isPositive();
            assertThat(second.stop()).isZero();
        }
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < TASKS; i++) {
            String line = "run-" + i;
            assertThat(lines.stream().filter(line::equals).count()).as("runs of task %d in %s", i, lines).isEqualTo(1);
        }
        assertThat(lines).hasSize(TASKS);
    }
}
