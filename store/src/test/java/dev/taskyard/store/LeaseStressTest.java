package dev.taskyard.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static dev.taskyard.store.TestStores.WORKER;
import static dev.taskyard.store.TestStores.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Four claimers with short leases that randomly abandon runs (as crashed workers do): no attempt of a task is handed
 * out twice, no task completes twice, and every task ends COMPLETED or FAILED with {@code worker-crash}.
 */
class LeaseStressTest
{
    @TempDir
    Path folder;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void abandonedLeasesAreRetriedAndNothingCompletesTwice()
            throws Exception
    {
        int tasks = 150;
        try (SqliteTaskStore store =
                SqliteTaskStore.Options.builder(folder).maxAttempts(4).synchronousFull(false).open()) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                ids.add(store.submit(request("{\"i\":" + i + "}")).task().taskId());
            }
            Set<String> handedOut = ConcurrentHashMap.newKeySet();
            AtomicInteger duplicates = new AtomicInteger();
            Map<String, AtomicInteger> completions = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> claimers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    Random random = new Random(t);
                    claimers.add(pool.submit(() -> {
                        while (!allEnded(store, tasks)) {
                            List<Claim> claims = store.claim(new ClaimRequest(WORKER, 2, Duration.ofMillis(100),
                                    Duration.ofMillis(40)));
                            for (Claim claim : claims) {
                                if (!handedOut.add(claim.task().taskId() + "#" + claim.lease().attempt())) {
                                    duplicates.incrementAndGet();
                                }
                                if (random.nextInt(10) < 4) {
                                    continue; // abandoned: this "worker" crashed
                                }
                                try {
                                    store.resolve(claim.lease(), TaskResolution.completed());
                                    completions.computeIfAbsent(claim.task().taskId(),
                                            id -> new AtomicInteger()).incrementAndGet();
                                }
                                catch (LeaseLostException e) {
                                    // the lease expired and the task went to another claimer: fine
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> claimer : claimers) {
                    claimer.get(4, TimeUnit.MINUTES);
                }
            }
            finally {
                pool.shutdownNow();
            }
            assertThat(duplicates).hasValue(0);
            long retries = handedOut.stream().filter(claim -> !claim.endsWith("#0")).count();
            assertThat(retries).as("abandoned runs were handed out again").isPositive();
            LoggerFactory.getLogger(LeaseStressTest.class)
                    .info("{} hand-outs, {} of them retries, {} tasks completed, {} failed with worker-crash",
                    handedOut.size(), retries, completions.size(), store.countByStatus().get(TaskStatus.FAILED));
            for (String id : ids) {
                TaskRecord task = store.get(id).orElseThrow();
                int completed = completions.getOrDefault(id, new AtomicInteger()).get();
                assertThat(completed).as("completions of " + id).isLessThanOrEqualTo(1);
                if (completed == 1) {
                    assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
                }
                else {
                    assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
                    assertThat(task.error().orElseThrow().reason()).isEqualTo("worker-crash");
                    assertThat(task.attempt()).isEqualTo(3);
                }
            }
        }
    }

    private static boolean allEnded(SqliteTaskStore store, int tasks)
            throws Exception
    {
        Map<TaskStatus, Long> counts = store.countByStatus();
        return counts.get(TaskStatus.COMPLETED) + counts.get(TaskStatus.FAILED) == tasks;
    }
}
