package dev.taskyard.store.postgres;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What only the PostgreSQL store has: start-up errors, riding out a database restart. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostgresTaskStoreTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final WorkerIdentity WORKER = new WorkerIdentity("g", "w");

    private PostgresTestDatabase database;
    private String schema;

    @BeforeEach
    void createSchema()
    {
        database = PostgresTestDatabase.require();
        schema = database.newSchema("store");
    }

    @AfterEach
    void dropSchema()
            throws Exception
    {
        if (database != null) { // null when the test was skipped for want of a database
            database.dropSchema(schema);
        }
    }

    @Test
    void anUnreachableDatabaseIsAClearErrorAtStartUp()
            throws Exception
    {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/taskyard";
        assertThatThrownBy(() ->
                PostgresTaskStore.Options.builder(url, "someone", "secret")
                .connectTimeout(Duration.ofSeconds(1)).open())
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("cannot connect to PostgreSQL at " + url + " as someone")
                .hasMessageContaining("Connection to 127.0.0.1:" + port + " refused")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
        assertThat(PostgresTaskStore.Options.builder(url, "someone", "secret").build().toString())
                .doesNotContain("secret");
    }

    @Test
    void aWrongPasswordIsAClearErrorAtStartUp()
    {
        assertThatThrownBy(() ->
                PostgresTaskStore.Options.builder(database.url, database.user, "wrong-password").schema(schema).open())
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("cannot connect to PostgreSQL at " + database.url + " as " + database.user)
                .hasMessageContaining("password authentication failed");
    }

    /** Stops and starts the test cluster (TASKYARD_TEST_PG_CTL, from .ci/start-postgres) while two nodes work. */
    @Test
    void aDatabaseRestartLosesNoTaskAndNoCall()
            throws Exception
    {
        String ctl = System.getenv("TASKYARD_TEST_PG_CTL");
        if (ctl == null || ctl.isBlank()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new IllegalStateException("TASKYARD_TEST_PG_CTL is not set; with CI=true the restart test must "
                        + "run");
            }
            Assumptions.abort("TASKYARD_TEST_PG_CTL is not set: cannot restart the test cluster");
        }
        try (PostgresTaskStore a = database.store(schema).retryFor(Duration.ofSeconds(60)).open();
             PostgresTaskStore b = database.store(schema).retryFor(Duration.ofSeconds(60)).open()) {
            List<String> before = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                before.add(a.submit(new SubmitRequest(JSON.readTree("{\"i\":" + i + "}"), Optional.of("k" + i),
                        Optional.empty())).task().taskId());
            }
            List<Claim> running = b.claim(new ClaimRequest(WORKER, 5, Duration.ZERO, Duration.ofMinutes(5)));
            assertThat(running).hasSize(5);
            CountDownLatch cancelled = new CountDownLatch(1);
            b.onCancel(running.get(0).lease(), cancelled::countDown);
            run(ctl, "stop");
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                // calls made while the database is down wait for it and then succeed
                Future<List<String>> submits = pool.submit(() -> {
                    List<String> ids = new ArrayList<>();
                    for (int i = 20; i < 30; i++) {
                        ids.add(a.submit(new SubmitRequest(JSON.readTree("{\"i\":" + i + "}"), Optional.of("k" + i),
                                Optional.empty())).task().taskId());
                    }
                    return ids;
                });
                Future<?> resolves = pool.submit(() -> {
                    for (Claim claim : running.subList(1, 5)) {
                        b.resolve(claim.lease(), TaskResolution.completed());
                    }
                    return null;
                });
                Thread.sleep(2_000);
                assertThat(submits).isNotDone();
                run(ctl, "start");
                List<String> after = submits.get(2, TimeUnit.MINUTES);
                resolves.get(2, TimeUnit.MINUTES);
                assertThat(after).hasSize(10).doesNotContainAnyElementsOf(before);
                // the nodes hear each other again: a cancel through a reaches b's lease holder
                a.cancel(running.get(0).task().taskId(), "after the restart");
                assertThat(cancelled.await(30, TimeUnit.SECONDS)).isTrue();
            }
            finally {
                pool.shutdownNow();
            }
            int completed = 4;
            while (true) {
                List<Claim> claims = a.claim(new ClaimRequest(WORKER, 10, Duration.ZERO, Duration.ofMinutes(5)));
                if (claims.isEmpty()) {
                    break;
                }
                for (Claim claim : claims) {
                    a.resolve(claim.lease(), TaskResolution.completed());
                    completed++;
                }
            }
            assertThat(completed).isEqualTo(29);
            assertThat(b.countByStatus()).containsEntry(TaskStatus.COMPLETED, 29L)
                    .containsEntry(TaskStatus.CANCELED, 1L)
                    .containsEntry(TaskStatus.PENDING, 0L).containsEntry(TaskStatus.RUNNING, 0L);
        }
    }

    /**
     * Idle claimers (a worker's slots poll with a short wait) do not each query the database while nothing is
     * announced. The claim statements are counted by the scans of the schema's own tasks table (other users of the
     * cluster do not disturb the count), read after the store closed its connections: a backend reports its
     * statistics when it exits. A submit still reaches a waiting claimer at once.
     */
    @Test
    void idleClaimersDoNotQueryTheDatabaseUntilATaskIsAnnounced()
            throws Exception
    {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            // calibration: what opening a store scans, and what one claim statement scans (its parts read the table)
            try (PostgresTaskStore store = database.store(schema).open()) {
                assertThat(store.countByStatus()).isNotNull();
            }
            long opening = settledTableScans(0);
            try (PostgresTaskStore store = database.store(schema).open()) {
                for (int i = 0; i < 10; i++) {
                    assertThat(store.claim(new ClaimRequest(WORKER, 1, Duration.ZERO,
                            Duration.ofMinutes(5)))).isEmpty();
                }
            }
            long calibrated = settledTableScans(opening);
            double perClaim = (calibrated - 2.0 * opening) / 10;
            assertThat(perClaim).as("scans per claim statement").isGreaterThan(0);

            try (PostgresTaskStore store = database.store(schema).open()) {
                List<Future<List<Claim>>> idle = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    idle.add(pool.submit(() -> {
                        List<Claim> claimed = new ArrayList<>();
                        long end = System.nanoTime() + Duration.ofMillis(1_500).toNanos();
                        while (System.nanoTime() < end && claimed.isEmpty()) {
                            claimed.addAll(store.claim(new ClaimRequest(WORKER, 1, Duration.ofMillis(20),
                                    Duration.ofMinutes(5))));
                        }
                        return claimed;
                    }));
                }
                for (Future<List<Claim>> f : idle) {
                    assertThat(f.get(1, TimeUnit.MINUTES)).isEmpty();
                }
            }
            double claims = (settledTableScans(calibrated) - calibrated - opening) / perClaim;
            // polling every 20 ms, 8 claimers would make ~600 claims in 1.5 s; with the miss remembered and the
            // backstop
            // every second: one round of misses and at most two backstop rounds
            assertThat(claims).as("claim statements of idle claimers (%.1f scans each)", perClaim)
                    .isLessThanOrEqualTo(3.0 * threads);

            try (PostgresTaskStore store = database.store(schema).open()) {
                Future<List<Claim>> waiting =
                        pool.submit(() -> store.claim(new ClaimRequest(WORKER, 1, Duration.ofSeconds(30),
                        Duration.ofMinutes(5))));
                String id = store.submit(new SubmitRequest(JSON.readTree("{}"), Optional.empty(),
                        Optional.empty())).task().taskId();
                assertThat(waiting.get(1, TimeUnit.MINUTES)).singleElement()
                        .satisfies(claim -> assertThat(claim.task().taskId()).isEqualTo(id));
            }
        }
        finally {
            pool.shutdownNow();
        }
    }

    /** Sequential plus index scans of this test's tasks table once the count stops moving (exiting backends report). */
    private long settledTableScans(long above)
            throws Exception
    {
        try (java.sql.Connection connection =
                java.sql.DriverManager.getConnection(database.url, database.user, database.password);
             java.sql.PreparedStatement query = connection.prepareStatement(
                     "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                             + "WHERE schemaname = ? AND relname = 'tasks'");
             java.sql.Statement clear = connection.createStatement()) {
            query.setString(1, schema);
            long last = -1;
            for (int i = 0; i < 50; i++) {
                clear.execute("SELECT pg_stat_clear_snapshot()");
                long now;
                try (java.sql.ResultSet rows = query.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    now = rows.getLong(1);
                }
                if (now == last && now > above) {
                    return now;
                }
                last = now;
                Thread.sleep(300);
            }
            return last;
        }
    }

    private static void run(String ctl, String command)
            throws Exception
    {
        Process process = new ProcessBuilder(ctl, command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as("%s %s: %s", ctl, command, output).isZero();
    }
}
