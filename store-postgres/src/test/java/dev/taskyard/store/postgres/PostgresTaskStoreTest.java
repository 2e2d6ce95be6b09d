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
        database.dropSchema(schema);
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
        assertThatThrownBy(() -> PostgresTaskStore.Options.builder(url, "someone", "secret").connectTimeout(Duration.ofSeconds(1)).open())
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("cannot connect to PostgreSQL at " + url + " as someone")
                .hasMessageContaining("Connection to 127.0.0.1:" + port + " refused")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
        assertThat(PostgresTaskStore.Options.builder(url, "someone", "secret").build().toString()).doesNotContain("secret");
    }

    @Test
    void aWrongPasswordIsAClearErrorAtStartUp()
    {
        assertThatThrownBy(() -> PostgresTaskStore.Options.builder(database.url, database.user, "wrong-password").schema(schema).open())
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
                throw new IllegalStateException("TASKYARD_TEST_PG_CTL is not set; with CI=true the restart test must run");
            }
            Assumptions.abort("TASKYARD_TEST_PG_CTL is not set: cannot restart the test cluster");
        }
        try (PostgresTaskStore a = database.store(schema).retryFor(Duration.ofSeconds(60)).open();
             PostgresTaskStore b = database.store(schema).retryFor(Duration.ofSeconds(60)).open()) {
            List<String> before = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                before.add(a.submit(new SubmitRequest(JSON.readTree("{\"i\":" + i + "}"), Optional.of("k" + i), Optional.empty())).task().taskId());
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
                        ids.add(a.submit(new SubmitRequest(JSON.readTree("{\"i\":" + i + "}"), Optional.of("k" + i), Optional.empty())).task().taskId());
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
            assertThat(b.countByStatus()).containsEntry(TaskStatus.COMPLETED, 29L).containsEntry(TaskStatus.CANCELED, 1L)
                    .containsEntry(TaskStatus.PENDING, 0L).containsEntry(TaskStatus.RUNNING, 0L);
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
