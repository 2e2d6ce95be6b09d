package dev.taskyard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.InMemoryTaskQueue;
import dev.taskyard.worker.TaskResolution;
import dev.taskyard.worker.TaskSpec;
import dev.taskyard.worker.Worker;
import dev.taskyard.worker.WorkerConfig;
import org.slf4j.LoggerFactory;

/**
 * Tasks per second through the whole worker (in-memory queue → claim → task run with every built-in plugin of the
 * issue enabled → resolution → dispose) with the mock engine, on 1 and 2 threads, against the bare engine
 * life-cycle (task context → builder → start → wait → dispose) measured in the same run. Prints tasks/s, the
 * worker's overhead per task in µs (per thread: 1/worker rate − 1/bare rate) and the ratio. Goal: at least 20,000
 * tasks/s and under 50 µs of overhead per task. {@code tasklog} is left out: it writes one file per task, which
 * measures the disk, not the worker.
 */
public final class WorkerBench
{
    private static final int GOAL_RATE = 20_000;
    private static final double GOAL_OVERHEAD_MICROS = 50;
    private static final String PAYLOAD =
            "{\"delay\":0,\"function\":\"true\",\"argument\":\"\",\"env\":{\"STAGE\":\"bench\"},\"maxRunTime\":60}";

    private WorkerBench() {}

    public static void main(String[] args)
            throws Exception
    {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path temp = Files.createTempDirectory("taskyard-bench-worker");
        ObjectMapper json = new ObjectMapper();
        JsonNode payload = json.readTree(PAYLOAD);

        System.out.println("worker with the mock engine and the plugins env, success, maxruntime, artifacts, "
                + "logprefix, watchdog, result, progress; "
                + tasks + " tasks per round");
        for (int round = 0; round < 2; round++) {
            workerRate(temp, payload, 1, tasks / 2); // warm-up
            bareRate(temp, payload, 1, tasks / 2);
        }
        for (int threads = 1; threads <= 2; threads++) {
            double bare = 0;
            double worker = 0;
            for (int i = 0; i < 3; i++) {
                bare = Math.max(bare, bareRate(temp, payload, threads, tasks));
                worker = Math.max(worker, workerRate(temp, payload, threads, tasks));
            }
            double overheadMicros = (threads / worker - threads / bare) * 1e6;
            boolean met = worker >= GOAL_RATE && overheadMicros < GOAL_OVERHEAD_MICROS;
            System.out.printf("threads=%d  worker: %,.0f tasks/s  bare engine life-cycle: %,.0f/s  worker overhead: "
                    + "%.1f µs per task  "
                            + "ratio bare/worker: %.2f×  goal ≥ %,d tasks/s and < %.0f µs: %s%n",
                    threads, worker, bare, overheadMicros, bare / worker, GOAL_RATE, GOAL_OVERHEAD_MICROS,
                            met ? "met" : "NOT met");
        }
    }

    /** Runs {@code tasks} tasks through a fresh worker with {@code threads} task threads; returns tasks per second. */
    private static double workerRate(Path temp, JsonNode payload, int threads, int tasks)
            throws Exception
    {
        Path folder = Files.createTempDirectory(temp, "worker");
        String yaml = """
                worker: {workerId: bench-1, concurrency: %d, pollInterval: 0.05, tempFolder: "%s"}
                engine: mock
                plugins:
                  env: {extra: {POOL: bench}}
                  success: {}
                  maxruntime: {maxRunTime: 600}
                  artifacts: {}
                  logprefix: {}
                  watchdog: {}
                  result: {}
                  progress: {}
                """.formatted(threads, folder);
        EngineRegistry engines = EngineRegistry.load();
        PluginRegistry plugins = PluginRegistry.load();
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        for (int i = 0; i < tasks; i++) {
            queue.submit(new TaskSpec("t" + i, payload));
        }
        Worker worker = Worker.create(WorkerConfig.parse(yaml, engines, plugins), engines, plugins, queue);
        long start = System.nanoTime();
        worker.start();
        if (!queue.awaitAllResolved(Duration.ofMinutes(10))) {
            throw new IllegalStateException("the worker did not finish");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        worker.stopGracefully();
        worker.awaitTermination(Duration.ofMinutes(1));
        for (int i = 0; i < tasks; i += Math.max(1, tasks / 100)) {
            TaskResolution resolution = queue.resolution("t" + i).orElseThrow();
            if (resolution.status() != TaskResolution.Status.COMPLETED) {
                throw new IllegalStateException("task t" + i + " resolved as " + resolution);
            }
        }
        return tasks / seconds;
    }

    /** The bare engine life-cycle on {@code threads} threads; returns tasks per second. */
    private static double bareRate(Path temp, JsonNode payload, int threads, int tasks)
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = EngineRegistry.load().createEngine("mock", new ObjectMapper().createObjectNode(),
                new EngineContext(temp, LoggerFactory.getLogger("bench"),
                        new WorkerIdentity("bench", "bench-1"), tracker));
        ObjectNode enginePart = new ObjectMapper().createObjectNode();
        enginePart.set("delay", payload.get("delay"));
        enginePart.set("function", payload.get("function"));
        enginePart.set("argument", payload.get("argument"));
        int perThread = tasks / threads;
        Callable<Void> lifeCycle = () -> {
            EngineRuns.run(engine, enginePart, temp, perThread);
            return null;
        };
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(lifeCycle));
            }
            for (Future<Void> future : futures) {
                future.get();
            }
            return perThread * threads / ((System.nanoTime() - start) / 1e9);
        }
        finally {
            pool.shutdownNow();
            engine.dispose();
        }
    }
}
