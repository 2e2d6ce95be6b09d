package dev.taskyard.bench;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.store.SqliteTaskStore;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.TaskStore;
import dev.taskyard.store.postgres.PostgresTaskStore;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.TaskResolution;

/**
 * The PostgreSQL store against the SQLite store, in the same run. (1) In process: submits/s and claim+resolve/s with 4
 * and with 8 threads (claims of up to 16), SQLite as the baseline (goal for PostgreSQL ≥ 5,000 claim+resolve/s). (2)
 * Over HTTP with the real server (the jar) and the mock engine: submit→COMPLETED throughput on 1 node with SQLite (the
 * baseline), 1 node with PostgreSQL and 3 nodes with PostgreSQL (the submits spread over the nodes), printed as ratios
 * (goal ≥ 2,000 tasks/s on 1 node with PostgreSQL). The database comes from {@code TASKYARD_BENCH_PG_URL}, {@code
 * _USER}, {@code _PASSWORD} or else {@code TASKYARD_TEST_PG_*} (see {@code .ci/start-postgres}); each part uses a
 * schema of its own, dropped afterwards. Every measured phase follows an unmeasured warm-up on the same store or
 * servers so that the figures measure the store rather than the JIT: in process half as many tasks; over HTTP as many
 * tasks as measured by default (at least 2,000), since the server's JIT compilers still run after 5,000 tasks: main
 * of 2026-12-07 17:25 ran 2,045 tasks/s on 1 node with PostgreSQL in 10,000 tasks after 5,000, and 2,868–3,183 in
 * 40,000 after 20,000.
 * Over HTTP, completion is probed with two one-row listings (any PENDING task? any RUNNING task?, both index reads)
 * rather than the whole-table counts of {@code /metrics}, whose cost grows with the table. Arguments: [in-process
 * tasks, default 20,000] [HTTP tasks, default 20,000] [submitting connections per node, default 16] [parts to run,
 * comma-separated, default all: {@code in-process,sqlite,pg1,pg3}; ratios are printed only when both sides ran] [HTTP
 * warm-up tasks per part, default as many as the HTTP tasks]. Prints figures, never asserts.
 */
public final class PostgresStoreBench
{
    private static final int CLAIM_GOAL = 5_000;
    private static final int HTTP_GOAL = 2_000;
    /**
     * The in-process claim+resolve phase runs with each of these numbers of threads: every resolve waits for its own
     * WAL flush, so the rate is about threads / (statement + flush); 4 is the bench's historical figure, 8 is closer
     * to a worker's task threads resolving at once (serve's default runs 2, the HTTP part's config 32).
     */
    private static final int[] RESOLVER_THREADS = {4, 8};
    private static final String PAYLOAD = "{\"delay\":0,\"function\":\"true\",\"argument\":\"\"}";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PostgresStoreBench() {}

    public static void main(String[] args)
            throws Exception
    {
        int inProcessTasks = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int httpTasks = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        Set<String> parts = Set.of((args.length > 3 ? args[3] : "in-process,sqlite,pg1,pg3").split(","));
        int warmUp = Math.max(2_000, args.length > 4 ? Integer.parseInt(args[4]) : httpTasks);
        String url = env("URL", null);
        if (url == null) {
            System.out.println("PostgresStoreBench skipped: set TASKYARD_BENCH_PG_URL/_USER/_PASSWORD or "
                    + "TASKYARD_TEST_PG_* "
                    + "(eval \"$(bash .ci/start-postgres)\")");
            return;
        }
        String user = env("USER", "postgres");
        String password = env("PASSWORD", "");
        Path temp = Files.createTempDirectory("taskyard-bench-pg");
        try {
            System.out.println("PostgreSQL at " + url + ", " + Runtime.getRuntime().availableProcessors()
                    + " cores, everything on one host");
            if (parts.contains("in-process")) {
                double[] sqliteClaims = new double[RESOLVER_THREADS.length];
                try (TaskStore sqlite =
                        SqliteTaskStore.Options.builder(temp.resolve("sqlite")).maxPendingTasks(10_000_000).open()) {
                    inProcess("SQLite warm-up", sqlite, inProcessTasks / 2, RESOLVER_THREADS[0]);
                    for (int i = 0; i < RESOLVER_THREADS.length; i++) {
                        sqliteClaims[i] = inProcess("SQLite", sqlite, inProcessTasks, RESOLVER_THREADS[i]);
                    }
                }
                String schema = "bench_" + ProcessHandle.current().pid();
                double[] pgClaims = new double[RESOLVER_THREADS.length];
                try (TaskStore pg = PostgresTaskStore.Options.builder(url, user,
                        password).schema(schema).maxPendingTasks(10_000_000).open()) {
                    inProcess("PostgreSQL warm-up", pg, inProcessTasks / 2, RESOLVER_THREADS[0]);
                    for (int i = 0; i < RESOLVER_THREADS.length; i++) {
                        pgClaims[i] = inProcess("PostgreSQL", pg, inProcessTasks, RESOLVER_THREADS[i]);
                    }
                }
                finally {
                    drop(url, user, password, schema);
                }
                for (int i = 0; i < RESOLVER_THREADS.length; i++) {
                    System.out.printf("in process, claim+resolve from %d threads: PostgreSQL/SQLite = %.2f  goal ≥ "
                            + "%,d/s: %s%n", RESOLVER_THREADS[i], pgClaims[i] / sqliteClaims[i], CLAIM_GOAL,
                            pgClaims[i] >= CLAIM_GOAL ? "met" : "NOT met");
                }
            }

            Path jar = ServerProcess.locateJar();
            Path passwordFile = Files.writeString(temp.resolve("pg-password"), password + "\n");
            String common = "worker: {concurrency: 32, pollInterval: 0.05, shutdownGrace: 1}\nengine: mock\nengines: "
                    + "{mock: {}}\nplugins: {}\n"
                    + "server: {maxPending: 10000000}\n";
            double sqliteHttp = Double.NaN;
            double pg1 = Double.NaN;
            double pg3 = Double.NaN;
            if (parts.contains("sqlite")) {
                sqliteHttp = http("1 node, SQLite", jar, temp.resolve("http-sqlite"), List.of(common),
                        warmUp, httpTasks, connections);
            }
            if (parts.contains("pg1")) {
                String schema1 = "bench_http1_" + ProcessHandle.current().pid();
                try {
                    String store1 = store(url, user, passwordFile, schema1);
                    pg1 = http("1 node, PostgreSQL", jar, temp.resolve("http-pg1"), List.of(common + store1),
                            warmUp, httpTasks, connections);
                }
                finally {
                    drop(url, user, password, schema1);
                }
            }
            if (parts.contains("pg3")) {
                String schema3 = "bench_http3_" + ProcessHandle.current().pid();
                try {
                    String store3 = store(url, user, passwordFile, schema3);
                    pg3 = http("3 nodes, PostgreSQL", jar, temp.resolve("http-pg3"),
                            List.of(common + store3, common + store3, common + store3), warmUp, httpTasks,
                            connections);
                }
                finally {
                    drop(url, user, password, schema3);
                }
            }
            if (!Double.isNaN(pg1) || !Double.isNaN(pg3)) {
                System.out.printf("over HTTP, submit→COMPLETED: 1 node PostgreSQL / 1 node SQLite = %.2f, 3 nodes "
                        + "PostgreSQL / 1 node SQLite = %.2f, "
                        + "3 nodes / 1 node PostgreSQL = %.2f  goal ≥ %,d tasks/s on 1 node with PostgreSQL: %s%n",
                        pg1 / sqliteHttp, pg3 / sqliteHttp, pg3 / pg1, HTTP_GOAL, Double.isNaN(pg1) ? "not measured"
                                : pg1 >= HTTP_GOAL ? "met" : "NOT met");
            }
        }
        finally {
            MoreFiles.deleteRecursively(temp);
        }
    }

    private static String store(String url, String user, Path passwordFile, String schema)
    {
        return "store: {type: postgresql, url: \"" + url + "\", user: \"" + user + "\", passwordFile: \""
                + passwordFile + "\", schema: " + schema + ", poolSize: "
                + System.getenv().getOrDefault("BENCH_POOL", "10") + "}\n";
    }

    private static String env(String suffix, String fallback)
    {
        String value = System.getenv("TASKYARD_BENCH_PG_" + suffix);
        if (value == null || value.isBlank()) {
            value = System.getenv("TASKYARD_TEST_PG_" + suffix);
        }
        return value == null || value.isBlank() ? fallback : value;
    }

    private static void drop(String url, String user, String password, String schema)
            throws Exception
    {
        try (Connection connection = DriverManager.getConnection(url, user, password);
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /**
     * Submits {@code count} tasks from {@code threads} threads, then claims and resolves them from as many threads;
     * returns claim+resolve/s.
     */
    private static double inProcess(String label, TaskStore store, int count, int threads)
            throws Exception
    {
        JsonNode payload = JSON.readTree(PAYLOAD);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            AtomicInteger next = new AtomicInteger();
            long start = System.nanoTime();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                work.add(pool.submit(() -> {
                    while (next.getAndIncrement() < count) {
                        store.submit(new SubmitRequest(payload, Optional.empty(), Optional.empty()));
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            double submitRate = count / ((System.nanoTime() - start) / 1e9);
            AtomicInteger resolved = new AtomicInteger();
            work.clear();
            start = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                WorkerIdentity worker = new WorkerIdentity("bench", "w" + t);
                work.add(pool.submit(() -> {
                    while (true) {
                        List<Claim> claims =
                                store.claim(new ClaimRequest(worker, 16, Duration.ZERO, Duration.ofMinutes(5)));
                        if (claims.isEmpty()) {
                            return null;
                        }
                        for (Claim claim : claims) {
                            store.resolve(claim.lease(), TaskResolution.completed());
                            resolved.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            double claimRate = resolved.get() / ((System.nanoTime() - start) / 1e9);
            System.out.printf("in process, %s: %,d submits from %d threads: %,.0f/s; claim (up to 16) + resolve from "
                    + "%d threads: %,.0f tasks/s%n", label, count, threads, submitRate, threads, claimRate);
            return claimRate;
        }
        finally {
            pool.shutdownNow();
        }
    }

    /**
     * Starts one server per config, submits {@code warmUp} tasks (not measured), then {@code count} tasks spread over
     * them and waits until all COMPLETED.
     */
    private static double http(String label, Path jar, Path folder, List<String> configs, int warmUp, int count,
            int connections)
            throws Exception
    {
        List<ServerProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < configs.size(); i++) {
                nodes.add(ServerProcess.start(jar, folder.resolve("node-" + i), configs.get(i)));
            }
            submitAndWait(nodes, warmUp, connections); // warm-up, not measured
            double before = ServerProcess.gauge(nodes.get(0).metrics(), "taskyard_tasks{state=\"COMPLETED\"}");
            long start = System.nanoTime();
            submitAndWait(nodes, count, connections);
            double seconds = (System.nanoTime() - start) / 1e9;
            double done = completedSince(nodes.get(0), before, count);
            if (done < count) {
                System.out.printf("  (only %,.0f of %,d tasks COMPLETED)%n", done, count);
            }
            double rate = done / seconds;
            System.out.printf("over HTTP, %s: %,d tasks after %,d warm-up (mock engine, %d submitting connections per "
                    + "node): %,.0f tasks/s submit→COMPLETED (%.2f s)%n", label, count, warmUp, connections, rate,
                    seconds);
            return rate;
        }
        finally {
            for (ServerProcess node : nodes) {
                node.close();
            }
        }
    }

    /** Submits {@code count} tasks spread over the nodes (in parallel) and waits until the store holds no PENDING and
     * no RUNNING task (every submit was accepted first, and a task never goes back to PENDING here). */
    private static void submitAndWait(List<ServerProcess> nodes, int count, int connections)
            throws Exception
    {
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                ServerProcess node = nodes.get(i);
                int share = count / nodes.size() + (i < count % nodes.size() ? 1 : 0);
                work.add(pool.submit(() -> {
                    URI base = URI.create(node.baseUrl());
                    RawHttpLoad load = new RawHttpLoad(new InetSocketAddress(base.getHost(), base.getPort()),
                            List.of(RawHttpLoad.postJson(base.getHost(), base.getPort(), "/v1/tasks",
                                    node.token(), PAYLOAD)));
                    AtomicInteger refused = new AtomicInteger();
                    RawHttpLoad.CountResult result = load.runCount(connections, share, (status, body) -> {
                        if (status != 202) {
                            refused.incrementAndGet();
                        }
                    });
                    if (refused.get() > 0 || result.errors() > 0) {
                        throw new IllegalStateException(refused.get() + " submits refused, "
                                + result.errors() + " failed");
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        }
        finally {
            pool.shutdownNow();
        }
        long end = System.nanoTime() + Duration.ofSeconds(Math.max(60, count / 20)).toNanos();
        ServerProcess probe = nodes.get(0);
        while (any(probe, "PENDING") || any(probe, "RUNNING")) {
            if (System.nanoTime() > end) {
                System.out.println("  (timed out waiting for the tasks to end)");
                return;
            }
            Thread.sleep(20);
        }
    }

    /** Whether the store holds a task in {@code status}: a listing of one row (an index read on both stores). */
    private static boolean any(ServerProcess node, String status)
            throws Exception
    {
        return JSON.readTree(node.get("/v1/tasks?status=" + status + "&page_size=1")).path("tasks").size() > 0;
    }

    /** How many tasks became COMPLETED since {@code before} (the metrics reuse a count for up to 100 ms: read until it
     * reaches {@code expected} or for 2 s). Not part of the measured time. */
    private static double completedSince(ServerProcess node, double before, int expected)
            throws Exception
    {
        long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (true) {
            double completed = ServerProcess.gauge(node.metrics(), "taskyard_tasks{state=\"COMPLETED\"}") - before;
            if (completed >= expected || System.nanoTime() > end) {
                return completed;
            }
            Thread.sleep(50);
        }
    }
}
