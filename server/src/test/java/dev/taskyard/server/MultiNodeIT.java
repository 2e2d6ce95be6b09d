package dev.taskyard.server;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
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

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three real {@code taskyard serve} processes (the jar) on loopback ports sharing one PostgreSQL (from
 * {@code TASKYARD_TEST_PG_URL}/{@code _USER}/{@code _PASSWORD}, see {@code .ci/start-postgres}; skipped without it,
 * failing with {@code CI=true}): a cross-node cancel, 1,000 tasks round-robin (half with idempotency keys, some
 * submitted twice through another node) while one node is SIGKILLed and restarted on its port, logs and artifacts
 * read through every node; at the end every task is resolved exactly once in the store and none is lost or stuck.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MultiNodeIT
{
    private static final int TASKS = 1000;

    @TempDir
    Path temp;

    private PostgresNodes database;
    private final List<TaskyardServer> nodes = new ArrayList<>();
    private final Set<Integer> paused = new HashSet<>();
    private final Map<Integer, Integer> inFlight = new HashMap<>();

    @BeforeEach
    void database()
    {
        database = PostgresNodes.require("multinode", temp);
    }

    @AfterEach
    void stopNodes()
            throws Exception
    {
        for (TaskyardServer node : nodes) {
            node.close();
        }
        database.close();
    }

    private TaskyardServer start(int node, int port)
            throws Exception
    {
        return database.start(node, port, "concurrency: 24, leaseDuration: 6");
    }

    private static String submit(TaskyardServer node, String payload, String key)
            throws Exception
    {
        return PostgresNodes.taskId(PostgresNodes.submit(node, payload, key));
    }

    @Test
    void threeNodesShareOneQueue()
            throws Exception
    {
        TaskyardServer first = start(1, 0);
        nodes.add(first);

        // a long task runs on node 1 (the only node); a cancel through node 2 stops it on node 1
        String longTask = first.submit("{\"delay\":120000,\"function\":\"write-log\",\"argument\":\"long\"}");
        awaitStatus(first, longTask, "RUNNING");
        TaskyardServer second = start(2, 0);
        nodes.add(second);
        TaskyardServer third = start(3, 0);
        nodes.add(third);
        long cancelSent = System.nanoTime();
        assertThat(second.post("/v1/tasks/" + longTask + "/cancel", "").statusCode()).isEqualTo(202);
        String stopped = "task " + longTask + " run 0 canceled";
        while (!first.stderr.toString().contains(stopped) && System.nanoTime()
                - cancelSent < TimeUnit.SECONDS.toNanos(30)) {
            Thread.sleep(5);
        }
        long cancelMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cancelSent);
        System.out.println("cross-node cancel: the run on node 1 stopped " + cancelMillis
                + " ms after the cancel through node 2");
        assertThat(first.stderr.toString()).contains(stopped);
        assertThat(cancelMillis)
                .as("a cancel through another node stops the run at once, not at the next renewal (2 s)")
                .isLessThan(1000);

        // a task with a log and an artifact, read through every node (two of which did not run it)
        String artifactTask = third.submit("{\"delay\":10,\"function\":\"write-files\",\"argument\":\"/out.txt\","
                + "\"artifacts\":[{\"type\":\"file\",\"path\":\"/out.txt\",\"name\":\"public/out.txt\"}]}");
        String logTask =
                third.submit("{\"delay\":10,\"function\":\"write-log\",\"argument\":\"hello from some node\"}");
        first.awaitTerminal(artifactTask, Duration.ofSeconds(60));
        first.awaitTerminal(logTask, Duration.ofSeconds(60));
        for (TaskyardServer node : nodes) {
            assertThat(node.get("/v1/tasks/" + artifactTask + "/artifacts/public/out.txt").body())
                    .isEqualTo("Hello World");
            HttpResponse<String> log = node.get("/v1/tasks/" + logTask + "/log");
            assertThat(log.statusCode()).isEqualTo(200);
            assertThat(log.body()).contains("hello from some node");
            HttpResponse<String> resumed =
                    node.send(node.request("/v1/tasks/" + logTask + "/log").header("Range", "bytes=6-").GET().build());
            assertThat(resumed.body()).isEqualTo(log.body().substring(6));
        }

        // a task that prints nothing, followed through every node while it runs: each follower waits, then ends
        // empty with the run (no node stores a log for it, not even a closed one); afterwards it reads as empty
        String silentTask = third.submit("{\"delay\":3000,\"function\":\"true\",\"argument\":\"\"}");
        awaitStatus(first, silentTask, "RUNNING");
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> followers = new ArrayList<>();
        for (TaskyardServer node : nodes) {
            followers.add(node.client.sendAsync(node.request("/v1/tasks/" + silentTask + "/log").GET().build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(700);
        assertThat(first.task(silentTask).path("status").asText()).isEqualTo("RUNNING");
        assertThat(followers).as("the run goes on: its log is followed").allSatisfy(f -> assertThat(f).isNotDone());
        for (var follower : followers) {
            HttpResponse<String> followed = follower.get(60, TimeUnit.SECONDS);
            assertThat(followed.statusCode()).isEqualTo(200);
            assertThat(followed.body()).isEmpty();
        }
        assertThat(first.task(silentTask).path("status").asText()).isEqualTo("COMPLETED");
        for (TaskyardServer node : nodes) {
            HttpResponse<String> log = node.get("/v1/tasks/" + silentTask + "/log");
            assertThat(log.statusCode()).isEqualTo(200);
            assertThat(log.body()).isEmpty();
            HttpResponse<String> past = node.send(node.request("/v1/tasks/" + silentTask + "/log")
                    .header("Range", "bytes=1-").GET().build());
            assertThat(past.statusCode()).isEqualTo(416);
            assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */0");
        }
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT task_id, closed FROM " + database.schema
                     + ".task_logs WHERE task_id IN ('" + silentTask + "', '" + logTask + "')")) {
            Map<String, Boolean> stored = new HashMap<>();
            while (rows.next()) {
                stored.put(rows.getString(1), rows.getBoolean(2));
            }
            assertThat(stored).as("a log that was written is stored closed; an empty one is not stored")
                    .isEqualTo(Map.of(logTask, true));
        }

        // 1,000 tasks round-robin through the three nodes while node 2 is SIGKILLed and restarted on its port
        int port2 = URI.create(second.baseUrl).getPort();
        Map<Integer, String> ids = new ConcurrentHashMap<>();
        Map<Integer, String> duplicateIds = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        List<TaskyardServer> current = new java.util.concurrent.CopyOnWriteArrayList<>(nodes);
        ExecutorService submitters = Executors.newFixedThreadPool(6);
        long started = System.nanoTime();
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                work.add(submitters.submit(() -> {
                    for (int i = next.getAndIncrement(); i < TASKS; i = next.getAndIncrement()) {
                        String payload = "{\"delay\":" + (5 + i % 20)
                                + ",\"function\":\"write-log\",\"argument\":\"task " + i + "\"}";
                        String key = i % 2 == 0 ? "key-" + i : null;
                        ids.put(i, submitKept(i % 3, current, payload, key));
                        if (key != null && i % 10 == 0) {
                            // the same submit again, through the next node
                            duplicateIds.put(i, submitKept((i + 1) % 3, current, payload, key));
                        }
                    }
                    return null;
                }));
            }
            while (next.get() < TASKS / 3) {
                Thread.sleep(10);
            }
            // SIGKILL while node 2 runs tasks (its submits held back meanwhile), then a restart on its port
            pause(1);
            second.kill();
            TaskyardServer restarted = start(2, port2);
            nodes.set(1, restarted);
            current.set(1, restarted);
            resume(1);
            for (Future<?> f : work) {
                f.get(3, TimeUnit.MINUTES);
            }
        }
        finally {
            submitters.shutdownNow();
        }
        assertThat(ids).hasSize(TASKS);
        assertThat(new HashSet<>(ids.values())).as("one task per submit").hasSize(TASKS);
        duplicateIds.forEach((i, id) -> assertThat(id).as("the repeated submit %s", i).isEqualTo(ids.get(i)));

        // every task ends COMPLETED (those of the killed node run again on another)
        Set<String> open = new HashSet<>(ids.values());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Map<String, String> statuses = new HashMap<>();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            statuses.clear();
            for (String entry : first.listAll()) {
                statuses.put(entry.substring(0, entry.indexOf('=')), entry.substring(entry.indexOf('=') + 1));
            }
            open.removeIf(id -> "COMPLETED".equals(statuses.get(id)));
            if (!open.isEmpty()) {
                Thread.sleep(500);
            }
        }
        long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
        System.out.println("multi-node: " + TASKS + " tasks completed in about " + seconds
                + " s with a node killed and restarted");
        assertThat(open).as("tasks not COMPLETED: %s",
                open.stream().limit(10).map(id -> id + "=" + statuses.get(id)).toList()).isEmpty();
        // + the cancelled, artifact, log and silent tasks
        assertThat(statuses).as("no extra task from the repeated submits").hasSize(TASKS + 4);

        // in the store: each task resolved once, by the lease it was resolved with, none left running
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT COUNT(*), COUNT(resolved_token), COUNT(*) FILTER (WHERE "
                     + "resolved_token = lease_token), "
                     + "COUNT(*) FILTER (WHERE attempts > 1) FROM " + database.schema
                             + ".tasks WHERE status = 'COMPLETED'")) {
            rows.next();
            // + the artifact, log and silent tasks
            assertThat(rows.getLong(1)).isEqualTo(TASKS + 3);
            assertThat(rows.getLong(2)).isEqualTo(TASKS + 3);
            assertThat(rows.getLong(3)).as("resolved by the current lease").isEqualTo(TASKS + 3);
            System.out.println("multi-node: " + rows.getLong(4) + " tasks ran more than once (the killed node's)");
        }
        for (TaskyardServer node : nodes) {
            assertThat(node.stop()).as("exit code after SIGTERM").isZero();
        }
    }

    /**
     * Submits through node {@code index} of {@code current}. While that node is {@code paused} (about to be killed,
     * restarting) the submit waits, so that no submit is in flight when the node is killed: an unkeyed submit cut off
     * by the kill could not be told apart from a lost one.
     */
    private String submitKept(int index, List<TaskyardServer> current, String payload, String key)
            throws Exception
    {
        while (true) {
            synchronized (this) {
                if (!paused.contains(index)) {
                    inFlight.merge(index, 1, Integer::sum);
                    break;
                }
            }
            Thread.sleep(20);
        }
        try {
            return submit(current.get(index), payload, key);
        }
        finally {
            synchronized (this) {
                inFlight.merge(index, -1, Integer::sum);
            }
        }
    }

    /** Stops new submits to node {@code index} and waits until none is in flight. */
    private void pause(int index)
            throws InterruptedException
    {
        synchronized (this) {
            paused.add(index);
        }
        while (true) {
            synchronized (this) {
                if (inFlight.getOrDefault(index, 0) == 0) {
                    return;
                }
            }
            Thread.sleep(5);
        }
    }

    private synchronized void resume(int index)
    {
        paused.remove(index);
    }

    private static void awaitStatus(TaskyardServer node, String taskId, String status)
            throws Exception
    {
        for (int i = 0; i < 600; i++) {
            JsonNode task = node.task(taskId);
            if (task.path("status").asText().equals(status)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("task " + taskId + " never became " + status + "; " + node.stderr);
    }
}
