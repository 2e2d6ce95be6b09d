package dev.taskyard.store;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.taskyard.worker.Claim;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.store.TestStores.claim;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Kills a process that uses the store with SIGKILL in the middle of its work and checks what survives: every task
 * whose submit returned, expired leases handed out again with the next attempt, then failed with {@code worker-crash},
 * and no task completed under a lease of the dead process.
 */
class CrashSafetyTest
{
    @TempDir
    Path folder;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void tasksSurviveASigkillAndExpiredLeasesAreRetriedThenFailed()
            throws Exception
    {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.logFile=System.err",
                CrashChild.class.getName(), folder.toString(), "20", "5", "1000")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<String> submitted = new ArrayList<>();
        Map<String, Lease> leases = new HashMap<>();
        Map<String, Integer> logged = new HashMap<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            int submittedAfterReady = -1;
            String line;
            while ((line = out.readLine()) != null) {
                String[] words = line.split(" ");
                switch (words[0]) {
                    case "submitted" -> {
                        submitted.add(words[1]);
                        if (submittedAfterReady >= 0) {
                            submittedAfterReady++;
                        }
                    }
                    case "leased" -> leases.put(words[1],
                            new Lease(words[1], Integer.parseInt(words[2]), words[3],
                            Instant.ofEpochMilli(Long.parseLong(words[4]))));
                    case "logged" -> logged.put(words[1], Integer.parseInt(words[2]));
                    case "ready" -> submittedAfterReady = 0;
                    default -> throw new AssertionError("unexpected output: " + line);
                }
                if (submittedAfterReady >= 30) {
                    break; // mid-work: the child is submitting as fast as it can
                }
            }
            // SIGKILL through the handle, which (unlike Process.destroyForcibly) leaves the pipe readable
            assertThat(child.toHandle().destroyForcibly()).isTrue();
            assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
            // the last lines printed before the kill are still in the pipe
            while ((line = out.readLine()) != null) {
                if (line.matches("submitted [0-9A-Z]{26}")) {
                    submitted.add(line.substring("submitted ".length()));
                }
            }
        }
        assertThat(child.exitValue()).as("killed, not exited").isNotZero();
        assertThat(leases).hasSize(5);
        assertThat(submitted).hasSizeGreaterThanOrEqualTo(50);

        // every lease of the dead process is expired for this clock
        TestStores.ManualClock clock = new TestStores.ManualClock(Instant.now().plus(Duration.ofHours(1)));
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(folder).clock(clock).maxAttempts(2).open()) {
            for (String id : submitted) {
                assertThat(store.get(id)).as("task " + id).isPresent();
            }
            for (Map.Entry<String, Integer> log : logged.entrySet()) {
                try (InputStream in = store.openLog(log.getKey(), 0)) {
                    assertThat(in.readNBytes(log.getValue())).asString(StandardCharsets.UTF_8)
                            .isEqualTo("output of " + log.getKey() + "\n");
                }
            }
            for (String id : leases.keySet()) {
                assertThat(store.get(id).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
            }
            List<Claim> again = store.claim(claim(leases.size()));
            assertThat(again).extracting(c -> c.task().taskId()).containsExactlyInAnyOrderElementsOf(leases.keySet());
            assertThat(again).allSatisfy(c -> assertThat(c.lease().attempt()).isEqualTo(1));
            for (Lease old : leases.values()) {
                assertThatThrownBy(() -> store.resolve(old, TaskResolution.completed()))
                        .isInstanceOf(LeaseLostException.class);
            }
            // one retried task completes, once
            Claim done = again.get(0);
            store.resolve(done.lease(), TaskResolution.completed());
            store.resolve(done.lease(), TaskResolution.completed());
            Lease deadLease = leases.get(done.task().taskId());
            assertThatThrownBy(() -> store.resolve(deadLease, TaskResolution.completed()))
                    .isInstanceOf(LeaseLostException.class)
                    .satisfies(e -> assertThat(((LeaseLostException) e).reason())
                            .isEqualTo(LeaseLostException.Reason.RESOLVED));
            // the others crash again: with two attempts used they fail
            clock.advance(Duration.ofMinutes(1));
            assertThat(store.claim(claim(1))).extracting(c -> c.task().taskId())
                    .doesNotContainAnyElementsOf(leases.keySet());
            for (Claim retried : again.subList(1, again.size())) {
                TaskRecord task = store.get(retried.task().taskId()).orElseThrow();
                assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
                assertThat(task.error().orElseThrow().reason()).isEqualTo("worker-crash");
                assertThatThrownBy(() -> store.resolve(retried.lease(), TaskResolution.completed()))
                        .isInstanceOf(LeaseLostException.class);
            }
            assertThat(store.get(done.task().taskId()).orElseThrow().status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(store.countByStatus().get(TaskStatus.COMPLETED)).isEqualTo(1L);
        }
    }
}
