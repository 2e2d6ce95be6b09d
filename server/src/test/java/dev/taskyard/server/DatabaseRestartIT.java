package dev.taskyard.server;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real {@code taskyard serve} processes (the jar) sharing one PostgreSQL ride out a restart of the database
 * ({@code TASKYARD_TEST_PG_CTL stop}, a few seconds down, {@code start}) while tasks run and submits keep coming: no
 * node exits, both answer again, no acknowledged task is lost, and every task is resolved exactly once in the store.
 * Skipped without the test cluster, failing with {@code CI=true}; the cluster is started again whatever happens.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DatabaseRestartIT
{
    private static final int BEFORE = 100;
    private static final int DURING = 60;
    private static final long DOWN_MILLIS = 4_000;

    @TempDir
    Path temp;

    private PostgresNodes database;
    private final List<TaskyardServer> nodes = new ArrayList<>();
    private boolean stopped;

    @BeforeEach
    void database()
    {
        database = PostgresNodes.require("dbrestart", temp);
    }

    @AfterEach
    void cleanUp()
            throws Exception
    {
        try {
            if (stopped) {
                PostgresNodes.cluster("start");
                stopped = false;
            }
        }
        finally {
            for (TaskyardServer node : nodes) {
                node.close();
            }
            database.close();
        }
    }

    private static String payload(int i)
    {
        // runs of 0.1 to 1.5 s, so that some are running when the database goes away
        return "{\"delay\":" + (100 + (i * 37) % 1400) + ",\"function\":\"write-log\",\"argument\":\"task " + i + "\"}";
    }

    @Test
    void aDatabaseRestartLosesNoTaskAndNoNodeExits()
            throws Exception
    {
        nodes.add(database.start(1, 0, "concurrency: 8, leaseDuration: 10"));
        nodes.add(database.start(2, 0, "concurrency: 8, leaseDuration: 10"));
        Map<Integer, String> ids = new ConcurrentHashMap<>();
        // before: half keyed, half not, through both nodes
        for (int i = 0; i < BEFORE; i++) {
            ids.put(i, PostgresNodes.taskId(PostgresNodes.submit(nodes.get(i % 2), payload(i),
                    i % 2 == 0 ? "key-" + i : null)));
        }
        while (TaskyardServer.JSON.readTree(nodes.get(0).get("/v1/tasks?status=RUNNING&page_size=1").body())
                .path("tasks").isEmpty()) {
            Thread.sleep(20);
        }

        PostgresNodes.cluster("stop");
        stopped = true;
        long down = System.nanoTime();
        // during the outage submits keep coming, with idempotency keys: one cut off by the outage is sent again with
        // its
        // key (what a client does), and is stored once
        AtomicInteger next = new AtomicInteger(BEFORE);
        AtomicInteger repeated = new AtomicInteger();
        ExecutorService submitters = Executors.newFixedThreadPool(4);
        List<Future<?>> work = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                work.add(submitters.submit(() -> {
                    for (int i = next.getAndIncrement(); i < BEFORE + DURING; i = next.getAndIncrement()) {
                        ids.put(i, submitUntilAccepted(nodes.get(i % 2), payload(i), "key-" + i, repeated));
                    }
                    return null;
                }));
            }
            Thread.sleep(DOWN_MILLIS);
            for (TaskyardServer node : nodes) {
                assertThat(node.process.isAlive())
                        .as("a node exited while the database was down: %s", node.stderr).isTrue();
            }
            PostgresNodes.cluster("start");
            stopped = false;
            long upMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down);
            for (Future<?> f : work) {
                f.get(90, TimeUnit.SECONDS);
            }
            long servedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down);
            System.out.println("database restart: down for " + upMillis
                    + " ms; every submit made meanwhile accepted " + servedMillis
                    + " ms after the stop (" + repeated.get() + " sent again with their key)");
        }
        finally {
            submitters.shutdownNow();
        }
        assertThat(ids).hasSize(BEFORE + DURING);
        assertThat(new HashSet<>(ids.values())).as("one task per submit").hasSize(BEFORE + DURING);

        // both nodes answer again and every task ends COMPLETED
        Set<String> open = new HashSet<>(ids.values());
        Map<String, String> statuses = new HashMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (int round = 0; !open.isEmpty() && System.nanoTime() < deadline; round++) {
            statuses.clear();
            for (String entry : nodes.get(round % 2).listAll()) {
                statuses.put(entry.substring(0, entry.indexOf('=')), entry.substring(entry.indexOf('=') + 1));
            }
            open.removeIf(id -> "COMPLETED".equals(statuses.get(id)));
            if (!open.isEmpty()) {
                Thread.sleep(200);
            }
        }
        assertThat(open).as("tasks not COMPLETED: %s",
                open.stream().limit(10).map(id -> id + "=" + statuses.get(id)).toList()).isEmpty();
        assertThat(statuses).as("no task lost, none extra").hasSize(BEFORE + DURING);

        // in the store: each task resolved once, by its current lease; nothing left pending or running
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'COMPLETED'), "
                     + "COUNT(*) FILTER (WHERE resolved_token = lease_token), COUNT(*) FILTER (WHERE attempts > 1) "
                             + "FROM " + database.schema + ".tasks")) {
            rows.next();
            assertThat(rows.getLong(1)).isEqualTo(BEFORE + DURING);
            assertThat(rows.getLong(2)).isEqualTo(BEFORE + DURING);
            assertThat(rows.getLong(3)).as("resolved by the current lease").isEqualTo(BEFORE + DURING);
            System.out.println("database restart: " + rows.getLong(4) + " tasks ran more than once");
        }
        for (TaskyardServer node : nodes) {
            assertThat(node.process.isAlive()).as("node alive after the restart: %s", node.stderr).isTrue();
            assertThat(node.stop()).as("exit code after SIGTERM").isZero();
        }
    }

    /** Submits with {@code key}, sending the same submit again while the node answers with an error (the database is
     * down). */
    private static String submitUntilAccepted(TaskyardServer node, String payload, String key, AtomicInteger repeated)
            throws Exception
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            HttpResponse<String> response = PostgresNodes.submit(node, payload, key);
            if (response.statusCode() == 202 || response.statusCode() == 200 || System.nanoTime() > deadline) {
                return PostgresNodes.taskId(response);
            }
            repeated.incrementAndGet();
            Thread.sleep(200);
        }
    }
}
