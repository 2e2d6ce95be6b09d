package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
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
 * Issue 14 for the remote engine, through the real jars: a back server (process engine) runs the tasks of a front
 * server (remote engine with {@code "recovery": true}). The front is stopped mid-run (SIGKILL, or SIGTERM with a grace
 * period shorter than the tasks) and started again on the same data folder. The restarted front re-attaches to the
 * remote tasks its previous process started instead of starting them again: every front task ends COMPLETED with
 * attempt 0 and its whole log in order, every command ran exactly once on the back (its side effect is in the file
 * once), and the back holds exactly one task per front task. After the SIGKILL, every other running task's saved
 * handle is cleared in the front's store, as if the front had died between the remote submit and the save of the
 * handle: those runs are handed back and started again, and their submit (same run, same idempotency key) reaches the
 * remote task the first start made instead of starting a second one.
 */
class RemoteRecoveryIT
{
    private static final int TASKS = 24;

    @TempDir
    Path temp;

    private static String payload(int n, Path file)
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        payload.putObject("remote").putArray("command").add("/bin/sh").add("-c")
                .add("echo start-" + n + "; sleep 1; echo run-" + n + " >> " + file + "; echo end-" + n);
        return payload.toString();
    }

    @Test
    @Timeout(300)
    void remoteTasksSurviveASigkillOfTheFrontAndRunOnce()
            throws Exception
    {
        stopAndRestartFront(false);
    }

    @Test
    @Timeout(300)
    void remoteTasksSurviveAGracefulStopOfTheFrontShorterThanThemAndRunOnce()
            throws Exception
    {
        stopAndRestartFront(true);
    }

    /**
     * Makes every other RUNNING front task look as if the front died between the remote submit and the save of the
     * sandbox handle: its handle is cleared in the stopped front's store. The restarted front hands such runs back
     * (same attempt) and starts them again; their submit must reach the remote task the first start made.
     */
    private static int forgetEveryOtherHandle(Path frontData)
            throws Exception
    {
        Path database = frontData.resolve("store").resolve("taskyard.db");
        assertThat(database).exists();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath());
                Statement statement = connection.createStatement()) {
            List<String> running = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery(
                    "SELECT id FROM tasks WHERE status = 'RUNNING' AND sandbox_data IS NOT NULL ORDER BY id")) {
                while (rows.next()) {
                    running.add(rows.getString(1));
                }
            }
            int forgotten = 0;
            for (int i = 0; i < running.size(); i += 2) {
                forgotten += statement.executeUpdate("UPDATE tasks SET sandbox_engine = NULL, sandbox_data = NULL "
                        + "WHERE id = '" + running.get(i) + "'");
            }
            return forgotten;
        }
    }

    private void stopAndRestartFront(boolean graceful)
            throws Exception
    {
        Path backConfig = temp.resolve("back.json");
        Files.writeString(backConfig, """
                {"worker": {"concurrency": 8, "leaseDuration": 10}, "engine": "process",
                 "plugins": {"success": {}, "tasklog": {}}}
                """);
        Path file = temp.resolve("runs.txt");
        try (TaskyardServer back = TaskyardServer.start(temp.resolve("back-data"), "--config", backConfig.toString())) {
            ObjectNode remote = TaskyardServer.JSON.createObjectNode().put("baseUrl", back.baseUrl)
                    .put("tokenFile", back.tokenFile.toString()).put("recovery", true);
            remote.putObject("poll").put("minIntervalMillis", 20).put("maxIntervalMillis", 200)
                    .put("longPollSeconds", 2);
            remote.putObject("retry").put("initialBackoffMillis", 50).put("maxBackoffMillis", 500);
            ObjectNode front = TaskyardServer.JSON.createObjectNode();
            front.putObject("worker").put("concurrency", 8).put("leaseDuration", 10).put("shutdownGrace", 0.2);
            front.put("engine", "remote").putObject("engines").set("remote", remote);
            front.putObject("plugins").putObject("success");
            Path frontConfig = temp.resolve("front.json");
            Files.writeString(frontConfig, front.toString());
            Path frontData = temp.resolve("front-data");

            List<String> ids = new ArrayList<>();
            try (TaskyardServer first = TaskyardServer.start(frontData, "--config", frontConfig.toString())) {
                for (int i = 0; i < TASKS; i++) {
                    ids.add(first.submit(payload(i, file)));
                }
                // stop it while remote tasks run: some commands are done, the batch is not
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!Files.exists(file) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(300);
                // and while the next wave runs on the back (its handles saved a few milliseconds after the claim)
                while (first.listAll().stream().noneMatch(task -> task.endsWith("=RUNNING"))
                        && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(200);
                if (graceful) {
                    assertThat(first.stop()).as("exit code after SIGTERM; front log:%n%s", first.stderr).isZero();
                }
                else {
                    first.kill();
                }
            }
            if (!graceful) {
                int forgotten = forgetEveryOtherHandle(frontData);
                assertThat(forgotten).as("running front tasks whose handle is made to look never saved").isPositive();
            }
            long linesAtStop = Files.readAllLines(file).size();
            assertThat(linesAtStop).as("commands done when the front was stopped").isBetween(1L, (long) TASKS - 1);

            try (TaskyardServer second = TaskyardServer.startOnPort(frontData, 0, Map.of("TASKYARD_LOG_LEVEL", "INFO"),
                    "--config", frontConfig.toString())) {
                Map<String, String> outcomes = new TreeMap<>();
                for (int i = 0; i < TASKS; i++) {
                    JsonNode task = second.awaitTerminal(ids.get(i), Duration.ofSeconds(120));
                    outcomes.put(ids.get(i), task.path("status").asText() + "/" + task.path("attempt").asInt());
                    String log = second.get("/v1/tasks/" + ids.get(i) + "/log").body();
                    assertThat(log).as("log of task %d (%s); front log:%n%s", i, ids.get(i), second.stderr)
                            .isEqualTo("start-" + i + "\nend-" + i + "\n");
                }
                assertThat(outcomes.values()).as("%s%nfront log:%n%s", outcomes, second.stderr)
                        .containsOnly("COMPLETED/0");
                long recovered = second.stderr.toString().lines()
                        .filter(line -> line.contains("recovered its sandbox")).count();
                assertThat(recovered).as("runs recovered by the restarted front; front log:%n%s", second.stderr)
                        .isPositive();
                assertThat(second.stop()).isZero();
            }
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < TASKS; i++) {
                String line = "run-" + i;
                assertThat(lines.stream().filter(line::equals).count()).as("runs of task %d in %s", i, lines)
                        .isEqualTo(1);
            }
            assertThat(lines).hasSize(TASKS);
            List<String> remoteTasks = back.listAll();
            if (graceful) {
                // a run caught by the stop before its handle was saved is aborted (its remote task, if submitted,
                // cancelled before its command ran) and started again under the run's next key
                remoteTasks = remoteTasks.stream().filter(task -> !task.endsWith("=CANCELED")).toList();
            }
            assertThat(remoteTasks).as("one remote task per front task, none started twice; back log:%n%s",
                    back.stderr).hasSize(TASKS).allMatch(task -> task.endsWith("=COMPLETED"));
        }
    }
}
