package dev.taskyard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import org.slf4j.LoggerFactory;

/**
 * Sandboxes per second through the mock engine's full life-cycle (task context → builder → start → wait →
 * dispose) on 1 and 2 threads, against a baseline measured in the same run: the same loop creating and disposing
 * only the task context. Goal: at least 100,000 sandboxes/s.
 */
public final class MockEngineBench
{
    private static final int GOAL = 100_000;

    private MockEngineBench() {}

    public static void main(String[] args)
            throws Exception
    {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
        Path temp = Files.createTempDirectory("taskyard-bench-mock");
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = EngineRegistry.load().createEngine("mock", new ObjectMapper().createObjectNode(),
                new EngineContext(temp, LoggerFactory.getLogger("bench"),
                        new WorkerIdentity("bench", "bench-1"), tracker));
        ObjectNode payload =
                (ObjectNode) new ObjectMapper().readTree("{\"delay\":0,\"function\":\"true\",\"argument\":\"\"}");

        Callable<Void> lifeCycle = () -> {
            EngineRuns.run(engine, payload, temp, iterations);
            return null;
        };
        Callable<Void> baseline = () -> {
            for (int i = 0; i < iterations; i++) {
                TaskContext.builder().taskId("t").logSpillFolder(temp).build().dispose();
            }
            return null;
        };

        System.out.println("mock engine full life-cycle, " + iterations + " sandboxes per thread");
        for (int round = 0; round < 2; round++) {
            rate(lifeCycle, 1, iterations); // warm-up
            rate(baseline, 1, iterations);
        }
        for (int threads = 1; threads <= 2; threads++) {
            double engineRate = best(lifeCycle, threads, iterations);
            double baseRate = best(baseline, threads, iterations);
            System.out.printf("threads=%d  mock life-cycle: %,.0f sandboxes/s (%.2f µs each)  "
                            + "baseline (task context only): %,.0f/s  ratio baseline/engine: %.2f×  goal ≥ %,d/s: %s%n",
                    threads, engineRate, 1e6 / engineRate * threads, baseRate, baseRate / engineRate, GOAL,
                    engineRate >= GOAL ? "met" : "NOT met");
        }
        EngineRuns.dispose(engine, tracker, temp, "mock");
    }

    private static double best(Callable<Void> work, int threads, int iterations)
            throws Exception
    {
        double best = 0;
        for (int i = 0; i < 3; i++) {
            best = Math.max(best, rate(work, threads, iterations));
        }
        return best;
    }

    private static double rate(Callable<Void> work, int threads, int iterations)
            throws Exception
    {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(work));
            }
            for (Future<Void> future : futures) {
                future.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return threads * (double) iterations / seconds;
        }
        finally {
            pool.shutdownNow();
        }
    }
}
