package dev.taskyard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.client.PollSettings;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskStatus;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import org.slf4j.LoggerFactory;

/**
 * The same trivial tasks run directly on a real server (the client's submit, then its wait) and through the remote
 * engine against that server (builder → start → waitForResult → dispose, which also copies the log), in the same run,
 * one at a time and eight at a time; for the mock engine (pure overhead) and the process engine ({@code true}).
 * Prints throughput, median and p99 latency, the ratio remote/direct and the remote engine's overhead per task.
 * Arguments: [tasks one at a time] [tasks eight at a time].
 */
public final class RemoteEngineBench
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MOCK = "{\"delay\":0,\"function\":\"true\",\"argument\":\"\"}";
    private static final String PROCESS = "{\"command\":[\"true\"]}";

    private RemoteEngineBench() {}

    /** One task run; returns when it is done. */
    @FunctionalInterface
    private interface Run
    {
        void run(int index)
                throws Exception;
    }

    private record Figures(double perSecond, double p50Millis, double p99Millis) {}

    public static void main(String[] args)
            throws Exception
    {
        int serial = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int parallel = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        Path jar = ServerProcess.locateJar();
        Path temp = Files.createTempDirectory("taskyard-bench-remote");
        try {
            System.out.println("server: " + jar + ", " + Runtime.getRuntime().availableProcessors()
                    + " cores, engine, client and server on the same host");
            String common = "worker: {concurrency: 8, shutdownGrace: 1}\nplugins: {success: {}}\nserver: "
                    + "{maxPending: 1000000}\n";
            try (ServerProcess server =
                    ServerProcess.start(jar, temp.resolve("mock"), common + "engine: mock\nengines: {mock: {}}\n")) {
                compare("mock engine", server, MOCK, serial, parallel, temp);
            }
            try (ServerProcess server = ServerProcess.start(jar, temp.resolve("process"),
                    common + "engine: process\nengines: {process: {}}\n")) {
                compare("process engine", server, PROCESS, serial, parallel, temp);
            }
        }
        finally {
            MoreFiles.deleteRecursively(temp);
        }
    }

    private static void compare(String label, ServerProcess server, String payload, int serial, int parallel, Path temp)
            throws Exception
    {
        PollSettings poll = new PollSettings(Duration.ofMillis(5), Duration.ofMillis(100), Duration.ofSeconds(20));
        TaskyardClient client =
                TaskyardClient.builder().baseUrl(server.baseUrl()).token(server.token()).pollSettings(poll).build();
        ObjectNode config = JSON.createObjectNode().put("baseUrl", server.baseUrl()).put("token", server.token())
                .put("maxConcurrency", 64);
        config.putObject("poll").put("minIntervalMillis", 5).put("maxIntervalMillis", 100).put("longPollSeconds", 20);
        ResourceTracker tracker = new ResourceTracker();
        Path engineTemp = Files.createDirectories(temp.resolve("engine-" + label.replace(' ', '-')));
        Engine engine = EngineRegistry.load(RemoteEngineBench.class.getClassLoader()).createEngine("remote", config,
                new EngineContext(engineTemp, LoggerFactory.getLogger("bench"),
                        new WorkerIdentity("bench", "remote"), tracker));
        ObjectNode taskPayload = (ObjectNode) JSON.readTree(payload);
        ObjectNode remotePayload = JSON.createObjectNode();
        remotePayload.set("remote", taskPayload);
        Run direct = index -> {
            Task task = client.waitFor(client.submit(taskPayload).taskId(), Duration.ofSeconds(60));
            if (task.status() != TaskStatus.COMPLETED) {
                throw new IllegalStateException("direct task ended " + task);
            }
        };
        Run remote = index -> {
            TaskContext context = TaskContext.builder().logSpillFolder(engineTemp).build();
            try {
                ResultSet result = engine.newSandboxBuilder(new SandboxOptions(remotePayload.deepCopy(), context))
                        .startSandbox().waitForResult();
                try {
                    if (!result.success()) {
                        throw new IllegalStateException("remote task ended " + result.termination());
                    }
                }
                finally {
                    result.dispose();
                }
            }
            finally {
                context.dispose();
            }
        };
        try {
            for (int threads : new int[] {1, 8}) {
                int count = threads == 1 ? serial : parallel;
                measure(direct, Math.max(20, count / 10), threads);
                measure(remote, Math.max(20, count / 10), threads);
                Figures d = measure(direct, count, threads);
                Figures r = measure(remote, count, threads);
                System.out.printf("%s, %d at a time, %,d tasks each: direct %,.0f tasks/s (p50 %.2f ms, p99 %.2f "
                        + "ms); remote engine %,.0f tasks/s "
                                + "(p50 %.2f ms, p99 %.2f ms) → throughput ratio remote/direct %.2f, overhead per "
                                        + "task (p50) %+.2f ms%n",
                        label, threads, count, d.perSecond(), d.p50Millis(), d.p99Millis(), r.perSecond(),
                                r.p50Millis(), r.p99Millis(),
                        r.perSecond() / d.perSecond(), r.p50Millis() - d.p50Millis());
            }
        }
        finally {
            engine.dispose();
        }
        if (!tracker.isEmpty()) {
            System.out.println("  LEAK: " + tracker.live());
        }
    }

    private static Figures measure(Run run, int count, int threads)
            throws Exception
    {
        long[] latencies = new long[count];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        long begin = System.nanoTime();
                        run.run(i);
                        latencies[i] = System.nanoTime() - begin;
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        }
        finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Arrays.sort(latencies);
        return new Figures(count / seconds, latencies[count / 2] / 1e6,
                latencies[Math.min(count - 1, (int) (count * 0.99))] / 1e6);
    }
}
