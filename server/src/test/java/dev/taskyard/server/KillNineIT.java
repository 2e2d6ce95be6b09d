package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGKILL of the real server while tasks are queued and running, then a restart on the same data folder: every
 * accepted task reaches a terminal state, none is lost, none appears twice, and each completes once.
 */
class KillNineIT
{
    @TempDir
    Path temp;

    @Test
    void everyTaskSurvivesAKillAndEndsOnce()
            throws Exception
    {
        Path data = temp.resolve("data");
        Path ledger = temp.resolve("ledger");
        Files.createDirectories(ledger);
        Path gate = temp.resolve("gate");
        List<String> ids = new ArrayList<>();
        try (TaskyardServer first = TaskyardServer.start(data)) {
            for (int i = 0; i < 6; i++) {
                // each run leaves a start mark; it finishes only once the gate exists, so the first server's runs never
                // end
                String payload = "{\"command\":[\"sh\",\"-c\",\"touch " + ledger
                        + "/start-$TASK_ID-$RUN_ID; while [ ! -e " + gate
                        + " ]; do sleep 0.05; done; touch " + ledger + "/end-$TASK_ID-$RUN_ID\"]}";
                ids.add(first.submit(payload));
            }
            // wait until the worker (concurrency 2) runs two of them and four are queued
            for (int i = 0; i < 200; i++) {
                List<String> all = first.listAll();
                if (all.stream().filter(s -> s.endsWith("=RUNNING")).count() == 2) {
                    break;
                }
                Thread.sleep(50);
            }
            List<String> all = first.listAll();
            assertThat(all.stream().filter(s -> s.endsWith("=RUNNING")).count()).as("%s", all).isEqualTo(2);
            assertThat(all.stream().filter(s -> s.endsWith("=PENDING")).count()).as("%s", all).isEqualTo(4);
            first.kill();
        }
        // the process engine has no start-up reconciler: the killed server's task processes survive it; end them
        // (by pid, found through their unique ledger path) as a machine crash would, before the gate opens
        List<ProcessHandle> orphans = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(ledger.toString())).orElse(false)).toList();
        orphans.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle orphan : orphans) {
            orphan.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
        Files.createFile(gate);
        try (TaskyardServer second = TaskyardServer.start(data)) {
            Map<String, String> statuses = new TreeMap<>();
            Map<String, Integer> attempts = new TreeMap<>();
            for (String id : ids) {
                JsonNode task = second.awaitTerminal(id, Duration.ofSeconds(120));
                statuses.put(id, task.path("status").asText());
                attempts.put(id, task.path("attempt").asInt());
            }
            assertThat(statuses.values()).as("%s\n%s", statuses, second.stderr).containsOnly("COMPLETED");
            List<String> listed = second.listAll();
            assertThat(listed).hasSize(ids.size());
            Set<String> listedIds = new HashSet<>();
            listed.forEach(s -> listedIds.add(s.substring(0, s.indexOf('='))));
            assertThat(listedIds).containsExactlyInAnyOrderElementsOf(ids);
            // the two that were running were run again under a new attempt; the queued ones ran once
            assertThat(attempts.values().stream().filter(a -> a == 1).count()).as("%s", attempts).isEqualTo(2);
            assertThat(attempts.values().stream().filter(a -> a == 0).count()).as("%s", attempts).isEqualTo(4);
            for (String id : ids) {
                int attempt = attempts.get(id);
                assertThat(ledger.resolve("end-" + id + "-" + attempt)).as("the completing run of %s", id).exists();
                try (var files = Files.list(ledger)) {
                    assertThat(files.filter(f -> f.getFileName().toString().startsWith("end-" + id + "-")).count())
                            .as("runs of %s that reached their end", id).isEqualTo(1);
                }
            }
            assertThat(second.stop()).as("exit code after SIGTERM").isZero();
        }
    }
}
