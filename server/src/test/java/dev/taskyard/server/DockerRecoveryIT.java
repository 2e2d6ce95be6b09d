package dev.taskyard.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 with the Docker engine, through the real jar against the real daemon (recovery is the engine's default):
 * 40 tasks of {@code echo start-N; sleep 3; echo run-N; echo end-N} in busybox containers; the server is SIGKILLed (or
 * stopped with SIGTERM and a grace period shorter than the tasks) while containers run, and started again on the same
 * data folder. The restarted worker re-attaches to the containers instead of running their tasks again: every task
 * ends COMPLETED with attempt 0, every log is whole and in order, and every command ran exactly once. The command's
 * side effect is its container: the Docker payload mounts nothing of the host, so the daemon's own event log is the
 * witness, and each task's container must have been started exactly once (a re-run is a new container, started
 * again). Skipped with the reason when no daemon answers, unless {@code CI=true}, where it fails instead.
 */
class DockerRecoveryIT
{
    private static final int TASKS = 40;
    /**
     * How long each task sleeps: long enough that containers seen running before the stop still run after it, even
     * when the kill, the JVM's exit and {@code docker ps} are slow on a loaded machine (1 s was seen to be too short).
     */
    private static final int TASK_SECONDS = 3;
    /** The worker's concurrency: how many containers run at once. */
    private static final int CONCURRENCY = 8;

    @TempDir
    Path temp;

    @BeforeAll
    static void importImage()
            throws Exception
    {
        DockerServeIT.importImage();
    }

    private static String payload(int n)
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode().put("image", DockerServeIT.IMAGE);
        payload.putArray("command").add("sh").add("-c")
                .add("echo start-" + n + "; sleep " + TASK_SECONDS + "; echo run-" + n + "; echo end-" + n);
        return payload.toString();
    }

    @Test
    @Timeout(300)
    void runningContainersSurviveASigkillOfTheServerAndRunOnce()
            throws Exception
    {
        killAndRestart(false);
    }

    /** SIGTERM with a grace period (0.2 s) shorter than the tasks: the running containers are detached, not killed. */
    @Test
    @Timeout(300)
    void runningContainersSurviveAGracefulStopShorterThanThemAndRunOnce()
            throws Exception
    {
        killAndRestart(true);
    }

    private void killAndRestart(boolean graceful)
            throws Exception
    {
        assertThat(docker("version", "--format", "{{.Server.Version}}")).as("the daemon answers").isNotEmpty();
        // the daemon keeps only its last 256 events: they are followed live from the start, into a file
        Path events = temp.resolve("events.txt");
        Process eventStream = new ProcessBuilder("docker", "events", "--since",
                Long.toString(Instant.now().getEpochSecond() - 1), "--filter", "type=container", "--filter",
                "event=start", "--filter", "image=" + DockerServeIT.IMAGE, "--format",
                "{{index .Actor.Attributes \"dev.taskyard.task-id\"}}")
                .redirectOutput(events.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            restartMidRun(graceful, events, eventStream);
        }
        finally {
            eventStream.destroy();
        }
    }

    private void restartMidRun(boolean graceful, Path events, Process eventStream)
            throws Exception
    {
        Path config = temp.resolve("config.json");
        Files.writeString(config, """
                {"worker": {"concurrency": %d, "leaseDuration": 10, "shutdownGrace": 0.2},
                 "engine": "docker", "engines": {"docker": {}},
                 "plugins": {"env": {}, "success": {}, "tasklog": {}}}
                """.formatted(CONCURRENCY));
        Path data = temp.resolve("data");
        List<String> ids = new ArrayList<>();
        long runningAtKill;
        try (TaskyardServer first = TaskyardServer.start(data, "--config", config.toString())) {
            for (int i = 0; i < TASKS; i++) {
                ids.add(first.submit(payload(i)));
            }
            // stop it while containers run: some tasks are done, most are not. The first wave of containers starts
            // together and ends together (the worker's threads share their claims), so waiting for a completion
            // alone can stop the server just as that whole wave ends: wait for the second wave to start as well
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while ((first.listAll().stream().noneMatch(task -> task.endsWith("=COMPLETED"))
                    || startedContainers(events) <= CONCURRENCY) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            while (runningContainers() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (graceful) {
                assertThat(first.stop()).as("exit code after SIGTERM; server log:%n%s", first.stderr).isZero();
            }
            else {
                first.kill();
            }
            runningAtKill = runningContainers();
        }
        assertThat(runningAtKill).as("containers still running after the server was stopped").isPositive();
        try (TaskyardServer second = TaskyardServer.startOnPort(data, 0, Map.of("TASKYARD_LOG_LEVEL", "INFO"),
                "--config", config.toString())) {
            Map<String, String> outcomes = new TreeMap<>();
            for (int i = 0; i < TASKS; i++) {
                JsonNode task = second.awaitTerminal(ids.get(i), Duration.ofSeconds(180));
                outcomes.put(ids.get(i), task.path("status").asText() + "/" + task.path("attempt").asInt());
                String log = second.get("/v1/tasks/" + ids.get(i) + "/log").body();
                assertThat(log).as("log of task %d (%s); server log:%n%s", i, ids.get(i), second.stderr)
                        .isEqualTo("start-" + i + "\nrun-" + i + "\nend-" + i + "\n");
            }
            assertThat(outcomes.values()).as("%s%nserver log:%n%s", outcomes, second.stderr)
                    .containsOnly("COMPLETED/0");
            long recovered = second.stderr.toString().lines()
                    .filter(line -> line.contains("recovered its sandbox")).count();
            assertThat(recovered).as("runs recovered by the restarted worker; server log:%n%s", second.stderr)
                    .isPositive();
            assertThat(second.stop()).isZero();
        }
        Thread.sleep(500); // the last events reach the stream
        eventStream.destroy();
        eventStream.waitFor(30, TimeUnit.SECONDS);
        List<String> started = Files.readAllLines(events);
        for (int i = 0; i < TASKS; i++) {
            String id = ids.get(i);
            assertThat(started.stream().filter(id::equals).count()).as("containers started for task %d (%s)", i, id)
                    .isEqualTo(1);
        }
        List<String> left = docker("ps", "-a", "--filter", "ancestor=" + DockerServeIT.IMAGE, "--format",
                "{{.Label \"dev.taskyard.task-id\"}}");
        assertThat(left).as("containers of these tasks left after the stop").doesNotContainAnyElementsOf(ids);
    }

    /** How many of this test's containers the daemon's event stream has seen start so far. */
    private static long startedContainers(Path events)
            throws IOException
    {
        return Files.readAllLines(events).stream().filter(line -> !line.isBlank()).count();
    }

    private static int runningContainers()
            throws Exception
    {
        return docker("ps", "-q", "--filter", "ancestor=" + DockerServeIT.IMAGE, "--filter", "status=running").size();
    }

    private static List<String> docker(String... arguments)
            throws Exception
    {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0).as("%s", command).isTrue();
        return output.lines().filter(line -> !line.isBlank()).toList();
    }
}
