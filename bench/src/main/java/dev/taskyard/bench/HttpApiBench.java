package dev.taskyard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.io.MoreFiles;

/**
 * The task API over HTTP against the real server: {@code java -jar server/target/taskyard.jar serve --port 0} as a
 * separate process on 127.0.0.1 with a temporary data folder and config. Measures (1) submit → COMPLETED throughput
 * of trivial mock-engine tasks through the durable queue, with p50/p99 submit latency (goal ≥ 2,000 tasks/s);
 * (2) the same with the process engine ({@code ["true"]}); (3) status GETs per second over many keep-alive
 * connections while 2,000 long polls are held (goal ≥ 30,000/s), against a baseline measured in the same run with the
 * same client setup: {@code GET /healthz}. Submits and status GETs come from {@link RawHttpLoad} (raw keep-alive NIO
 * sockets on one thread), since the JDK {@code HttpClient} itself topped out near 3,000 requests/s on this machine and
 * took about a third of its two cores from the server while submitting; the long polls are held by a JDK
 * {@code HttpClient}. Prints figures, never asserts.
 * Arguments: [mock tasks] [process tasks] [connections] [long polls] [seconds per load phase] [submitting connections
 * of the mock-engine runs, comma-separated: default 4,32 (each submit returns only once durable, so a client's
 * concurrency bounds what group commit can batch)] [worker concurrency of the mock-engine server, default 32: each task
 * waits for three commits in turn (claim, log close, resolution), so the worker's slots bound the end-to-end rate]; a
 * process-tasks count of 0 skips the process-engine run. {@code BENCH_SERVER_JAVA_OPTS} adds JVM options to the server.
 */
public final class HttpApiBench
{
    private static final int SUBMIT_GOAL = 2_000;
    private static final int STATUS_GOAL = 30_000;
    private static final int PROCESS_SUBMIT_CONNECTIONS = 4;
    private static final String MOCK_PAYLOAD = "{\"delay\":0,\"function\":\"true\",\"argument\":\"\"}";
    private static final String HELD_PAYLOAD = "{\"delay\":120000,\"function\":\"true\",\"argument\":\"\"}";
    private static final String PROCESS_PAYLOAD = "{\"command\":[\"true\"]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpApiBench() {}

    public static void main(String[] args)
            throws Exception
    {
        int mockTasks = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int processTasks = args.length > 1 ? Integer.parseInt(args[1]) : 2_000;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        int longPolls = args.length > 3 ? Integer.parseInt(args[3]) : 2_000;
        int seconds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        List<Integer> mockConnections =
                Arrays.stream((args.length > 5 ? args[5] : "4,32").split(",")).map(Integer::valueOf).toList();
        int mockConcurrency = args.length > 6 ? Integer.parseInt(args[6]) : 32;
        Path jar = ServerProcess.locateJar();
        Path temp = Files.createTempDirectory("taskyard-bench-http");
        try {
            System.out.println("server: " + jar + ", " + Runtime.getRuntime().availableProcessors()
                    + " cores, client and server on the same host");
            System.out.println("mock engine: worker concurrency " + mockConcurrency);
            try (ServerProcess server = ServerProcess.start(jar, temp.resolve("mock"),
                    "worker: {concurrency: " + mockConcurrency + ", pollInterval: 0.05, shutdownGrace: 1}\n"
                            + "engine: mock\nengines: {mock: {}}\nplugins: {}\nserver: {maxPending: 1000000}\n")) {
                List<String> ids = new ArrayList<>();
                for (int submitters : mockConnections) {
                    List<String> submitted =
                            submitThroughput(server, "mock engine", MOCK_PAYLOAD, mockTasks, submitters, true);
                    if (ids.isEmpty()) {
                        ids = submitted;
                    }
                }
                statusLoad(server, ids, connections, longPolls, seconds);
            }
            if (processTasks == 0) {
                return;
            }
            try (ServerProcess server = ServerProcess.start(jar, temp.resolve("process"),
                    "worker: {concurrency: 8, pollInterval: 0.05, shutdownGrace: 1}\n"
                            + "engine: process\nengines: {process: {}}\nplugins: {}\n"
                            + "server: {maxPending: 1000000}\n")) {
                submitThroughput(server, "process engine", PROCESS_PAYLOAD, processTasks,
                        PROCESS_SUBMIT_CONNECTIONS, false);
            }
        }
        finally {
            deleteTree(temp);
        }
    }

    /**
     * Submits {@code count} tasks over {@code connections} keep-alive connections (a {@link RawHttpLoad}, one submit in
     * flight on each), then waits until the store says they all COMPLETED.
     */
    private static List<String> submitThroughput(ServerProcess server, String label, String payload, int count,
            int connections, boolean withGoal)
            throws Exception
    {
        // warm-up: a tenth of the tasks (at most 1,000), not timed
        runSubmits(server, payload, Math.min(1_000, Math.max(1, count / 10)), connections);
        waitForCompleted(server, 0, Duration.ofSeconds(60));
        double before = server.tasksIn("COMPLETED");
        double failedBefore = server.tasksIn("FAILED");
        long start = System.nanoTime();
        Submits submits = runSubmits(server, payload, count, connections);
        double submitSeconds = (System.nanoTime() - start) / 1e9;
        double completed = waitForCompleted(server, before + count, Duration.ofSeconds(Math.max(60, count / 20)));
        double seconds = (System.nanoTime() - start) / 1e9;
        double done = completed - before;
        double failed = server.tasksIn("FAILED") - failedBefore;
        long[] latencies = submits.latencies();
        double rate = done / seconds;
        System.out.printf("%s, durable queue: %,d tasks over %d connections: %,.0f tasks/s submit→COMPLETED (%,.0f "
                + "completed in %.2f s; "
                        + "submitting alone %,.0f/s)  submit latency p50 %.2f ms, p99 %.2f ms%s%s%n",
                label, count, connections, rate, done, seconds, count / submitSeconds,
                        pct(latencies, 50), pct(latencies, 99),
                failed > 0 ? String.format("  FAILED: %,.0f", failed) : "",
                withGoal ? String.format("  goal ≥ %,d tasks/s: %s", SUBMIT_GOAL, rate >= SUBMIT_GOAL && done >= count
                        ? "met" : "NOT met") : "");
        return submits.ids();
    }

    private record Submits(List<String> ids, long[] latencies) {}

    private static Submits runSubmits(ServerProcess server, String payload, int count, int connections)
            throws Exception
    {
        URI base = URI.create(server.baseUrl());
        RawHttpLoad load = new RawHttpLoad(new InetSocketAddress(base.getHost(), base.getPort()),
                List.of(RawHttpLoad.postJson(base.getHost(), base.getPort(), "/v1/tasks", server.token(), payload)));
        List<String> ids = new ArrayList<>(count);
        List<String> refused = new ArrayList<>();
        RawHttpLoad.CountResult result = load.runCount(connections, count, (status, body) -> {
            int at = body.indexOf("\"task_id\":\"");
            if (status != 202 || at < 0) {
                refused.add(status + ": " + body);
                return;
            }
            int from = at + "\"task_id\":\"".length();
            ids.add(body.substring(from, body.indexOf('"', from)));
        });
        if (!refused.isEmpty() || result.errors() > 0) {
            throw new IllegalStateException(refused.size() + " submits refused, " + result.errors() + " failed: "
                    + refused.stream().limit(3).toList());
        }
        return new Submits(ids, result.latencies());
    }

    /** Polls the store's task gauge until COMPLETED + FAILED reach {@code target} (0: until nothing is PENDING or
     * RUNNING). */
    private static double waitForCompleted(ServerProcess server, double target, Duration timeout)
            throws Exception
    {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            String metrics = server.metrics();
            double completed = ServerProcess.gauge(metrics, "taskyard_tasks{state=\"COMPLETED\"}");
            boolean reached = target > 0
                    ? completed + ServerProcess.gauge(metrics, "taskyard_tasks{state=\"FAILED\"}") >= target
                    : ServerProcess.gauge(metrics, "taskyard_tasks{state=\"PENDING\"}")
                            + ServerProcess.gauge(metrics, "taskyard_tasks{state=\"RUNNING\"}") == 0;
            if (reached || System.nanoTime() > end) {
                if (!reached) {
                    System.out.println("  (timed out after " + timeout.toSeconds()
                            + " s waiting for the tasks to end)");
                }
                return completed;
            }
            Thread.sleep(20);
        }
    }

    /** Status GETs (and the /healthz baseline) over many keep-alive connections while long polls are held. */
    private static void statusLoad(ServerProcess server, List<String> ids, int connections, int longPolls, int seconds)
            throws Exception
    {
        HttpRequest heldSubmit = server.request("/v1/tasks").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(HELD_PAYLOAD)).build();
        HttpClient holdClient =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).build();
        HttpResponse<String> submitted = holdClient.send(heldSubmit, HttpResponse.BodyHandlers.ofString());
        String heldId = JSON.readTree(submitted.body()).path("task_id").asText();
        int socketsBefore = sockets();
        HttpRequest poll = server.request("/v1/tasks/" + heldId + "?wait=60")
                .timeout(Duration.ofSeconds(90)).GET().build();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger pollErrors = new AtomicInteger();
        List<CompletableFuture<HttpResponse<Void>>> polls = new ArrayList<>();
        long holdStart = System.nanoTime();
        for (int i = 0; i < longPolls; i++) {
            polls.add(holdClient.sendAsync(poll,
                    HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                answered.incrementAndGet();
                if (error != null) {
                    pollErrors.incrementAndGet();
                }
            }));
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        double held = 0;
        while (System.nanoTime() < end) {
            held = ServerProcess.gauge(server.metrics(), "taskyard_http_long_polls");
            if (held >= longPolls) {
                break;
            }
            Thread.sleep(50);
        }
        System.out.printf("long polls: %,.0f of %,d held by the server after %.1f s (GET /v1/tasks/{id}?wait=60 on a "
                + "RUNNING task; %,d client sockets)%n",
                held, longPolls, (System.nanoTime() - holdStart) / 1e9, sockets() - socketsBefore);

        URI base = URI.create(server.baseUrl());
        InetSocketAddress address = new InetSocketAddress(base.getHost(), base.getPort());
        List<byte[]> statusRequests = new ArrayList<>();
        for (String id : ids.subList(0, Math.min(ids.size(), 1_000))) {
            statusRequests.add(RawHttpLoad.get(base.getHost(), base.getPort(), "/v1/tasks/" + id, server.token()));
        }
        List<byte[]> healthRequests = List.of(RawHttpLoad.get(base.getHost(), base.getPort(), "/healthz", null));
        Load status = closedLoop("status GET /v1/tasks/{id}", address, statusRequests, connections, seconds);
        Load health = closedLoop("baseline GET /healthz", address, healthRequests, connections, seconds);
        int stillHeld = longPolls - answered.get();
        System.out.printf("status/healthz ratio: %.2f  goal ≥ %,d status GETs/s while %,d long polls are held: %s%n",
                status.rate / health.rate, STATUS_GOAL, stillHeld, status.rate >= STATUS_GOAL ? "met" : "NOT met");

        long cancelled = System.nanoTime();
        HttpResponse<String> cancel = holdClient.send(
                server.request("/v1/tasks/" + heldId + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        try {
            CompletableFuture.allOf(polls.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        }
        catch (Exception e) {
            // counted below
        }
        System.out.printf("cancel (%d) → %,d of %,d long polls answered in %.0f ms (%d errors)%n", cancel.statusCode(),
                answered.get(), longPolls, (System.nanoTime() - cancelled) / 1e6, pollErrors.get());
    }

    private record Load(double rate, long[] latencies) {}

    /**
     * {@code connections} keep-alive connections of a {@link RawHttpLoad} (raw NIO sockets on one client thread, one
     * request in flight each), a warm-up of {@code seconds}, then {@code seconds} measured.
     */
    private static Load closedLoop(String label, InetSocketAddress address, List<byte[]> requests,
            int connections, int seconds)
            throws Exception
    {
        RawHttpLoad.Result result = new RawHttpLoad(address, requests).run(connections, seconds);
        System.out.printf("%s: %,.0f req/s  p50 %.2f ms, p99 %.2f ms  (%d keep-alive connections, %,d connected, raw "
                + "NIO client on 1 thread, %,d errors, %,d non-200)%n",
                label, result.rate(), pct(result.latencies(), 50), pct(result.latencies(), 99), connections,
                        result.connected(), result.errors(), result.notOk());
        return new Load(result.rate(), result.latencies());
    }

    private static double pct(long[] sortedNanos, int percentile)
    {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.min(sortedNanos.length - 1, Math.ceil(sortedNanos.length * percentile / 100.0) - 1);
        return sortedNanos[Math.max(0, index)] / 1e6;
    }

    /** Sockets this process has open (Linux {@code /proc/self/fd}); -1 elsewhere. */
    private static int sockets()
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return (int) fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                }
                catch (IOException e) {
                    return false;
                }
            }).count();
        }
        catch (IOException e) {
            return -1;
        }
    }

    private static void deleteTree(Path root)
            throws IOException
    {
        if (!Files.exists(root)) {
            return;
        }
        MoreFiles.deleteRecursively(root);
    }
}
