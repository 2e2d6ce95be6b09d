package dev.taskyard.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.taskyard.store.TestStores.WORKER;
import static dev.taskyard.store.TestStores.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measures (and logs, without asserting on time) submits/s and claims/s with synchronous FULL and NORMAL, with a
 * backlog of pending tasks in front of the claims. Correctness checks only: every task is claimed exactly once.
 */
class ThroughputTest
{
    private static final Logger LOG = LoggerFactory.getLogger(ThroughputTest.class);
    private static final int TASKS = 2000;
    private static final int BACKLOG = 20_000;

    @TempDir
    Path folder;

    @Test
    void measuresSubmitsAndClaimsWithSynchronousFull()
            throws Exception
    {
        measure(true);
    }

    @Test
    void measuresSubmitsAndClaimsWithSynchronousNormal()
            throws Exception
    {
        measure(false);
    }

    private void measure(boolean synchronousFull)
            throws Exception
    {
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(folder).synchronousFull(synchronousFull).open()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                long start = System.nanoTime();
                for (int i = 0; i < TASKS; i++) {
                    store.submit(request("{\"i\":" + i + ",\"pad\":\"0123456789012345678901234567890123456789\"}"));
                }
                double oneThread = TASKS / seconds(start);
                AtomicInteger next = new AtomicInteger();
                start = System.nanoTime();
                List<Future<?>> submitters = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    submitters.add(pool.submit(() -> {
                        while (next.getAndIncrement() < BACKLOG - TASKS) {
                            store.submit(request("{\"backlog\":true}"));
                        }
                        return null;
                    }));
                }
                for (Future<?> submitter : submitters) {
                    submitter.get(10, TimeUnit.MINUTES);
                }
                double fourThreads = (BACKLOG - TASKS) / seconds(start);
                CountDownLatch go = new CountDownLatch(1);
                AtomicInteger claimed = new AtomicInteger();
                List<Future<?>> claimers = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    claimers.add(pool.submit(() -> {
                        go.await();
                        while (claimed.get() < TASKS) {
                            List<Claim> claims =
                                    store.claim(new ClaimRequest(WORKER, 1, Duration.ZERO, Duration.ofMinutes(10)));
                            claimed.addAndGet(claims.size());
                        }
                        return null;
                    }));
                }
                start = System.nanoTime();
                go.countDown();
                for (Future<?> claimer : claimers) {
                    claimer.get(10, TimeUnit.MINUTES);
                }
                double claims = claimed.get() / seconds(start);
                assertThat(store.countByStatus().get(TaskStatus.RUNNING)).isEqualTo(claimed.get());
                LOG.info("synchronous={}: {} submits/s with 1 thread, {} submits/s with 4 threads, {} claims/s with "
                        + "4 claimers over a backlog of {}",
                        synchronousFull ? "FULL" : "NORMAL", Math.round(oneThread), Math.round(fourThreads),
                                Math.round(claims), BACKLOG);
            }
            finally {
                pool.shutdownNow();
            }
        }
    }

    private static double seconds(long startNanos)
    {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
