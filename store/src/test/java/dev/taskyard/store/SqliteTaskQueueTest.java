package dev.taskyard.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.taskyard.store.TestStores.WORKER;
import static dev.taskyard.store.TestStores.claim;
import static dev.taskyard.store.TestStores.json;
import static dev.taskyard.store.TestStores.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@link dev.taskyard.worker.TaskQueue} side of the store, mirroring the in-memory queue's tests. */
class SqliteTaskQueueTest
{
    private static final Logger LOG = LoggerFactory.getLogger(SqliteTaskQueueTest.class);

    @TempDir
    Path folder;

    private final TestStores.ManualClock clock = new TestStores.ManualClock();
    private SqliteTaskStore store;

    private SqliteTaskStore store()
            throws Exception
    {
        if (store == null) {
            store = TestStores.open(folder, clock);
        }
        return store;
    }

    @AfterEach
    void close()
    {
        if (store != null) {
            store.close();
        }
    }

    private String submit(String payload)
            throws Exception
    {
        return store().submit(request(payload)).task().taskId();
    }

    private static LeaseLostException.Reason reasonOf(Throwable e)
    {
        return ((LeaseLostException) e).reason();
    }

    @Test
    void claimsRenewsAndResolvesIdempotently()
            throws Exception
    {
        String a = submit("{\"n\":1}");
        String b = submit("{\"n\":2}");
        List<Claim> claims = store().claim(claim(5));
        assertThat(claims).extracting(c -> c.task().taskId()).containsExactly(a, b);
        assertThat(claims.get(0).task().payload()).isEqualTo(json("{\"n\":1}"));
        Lease lease = claims.get(0).lease();
        assertThat(lease.attempt()).isZero();
        assertThat(lease.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        assertThat(store().get(a)).get().satisfies(task -> {
            assertThat(task.status()).isEqualTo(TaskStatus.RUNNING);
            assertThat(task.startedAt()).contains(clock.instant());
        });
        clock.advance(Duration.ofSeconds(5));
        Lease renewed = store().renew(lease);
        assertThat(renewed.token()).isEqualTo(lease.token());
        assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        store().reportProgress(renewed, 40);
        assertThat(store().get(a).orElseThrow().progressPercent()).isEqualTo(40);
        store().resolve(renewed, TaskResolution.completed().withResult(json("{\"answer\":42}")));
        long version = store().get(a).orElseThrow().version();
        store().resolve(renewed, TaskResolution.completed());
        TaskRecord done = store().get(a).orElseThrow();
        assertThat(done.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(done.result()).contains(json("{\"answer\":42}"));
        assertThat(done.error()).isEmpty();
        assertThat(done.completedAt()).contains(clock.instant());
        assertThat(done.version()).as("a repeated resolution changes nothing").isEqualTo(version);
        assertThatThrownBy(() -> store().renew(renewed)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.RESOLVED));
        assertThatThrownBy(() ->
                store().resolve(new Lease(b, 0, "forged", claims.get(1).lease().expiresAt()),
                TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class);
        assertThat(store().claim(claim(5))).isEmpty();
    }

    @Test
    void anExpiredLeaseHandsTheTaskOutAgainWithTheNextAttempt()
            throws Exception
    {
        String a = submit("{}");
        Lease first = store().claim(claim(1)).get(0).lease();
        clock.advance(Duration.ofSeconds(11));
        assertThatThrownBy(() -> store().renew(first)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.EXPIRED));
        Lease second = store().claim(claim(1)).get(0).lease();
        assertThat(second.taskId()).isEqualTo(a);
        assertThat(second.attempt()).isEqualTo(1);
        assertThat(second.runId()).isEqualTo("1");
        assertThat(second.token()).isNotEqualTo(first.token());
        assertThatThrownBy(() -> store().resolve(first, TaskResolution.failed())).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.EXPIRED));
        assertThatThrownBy(() -> store().reportProgress(first, 10)).isInstanceOf(LeaseLostException.class);
        store().resolve(second, TaskResolution.completed());
        assertThatThrownBy(() -> store().resolve(first, TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.RESOLVED));
        TaskRecord task = store().get(a).orElseThrow();
        assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(task.attempt()).isEqualTo(1);
    }

    @Test
    void aTaskWhoseLastAttemptExpiredFailsWithWorkerCrash()
            throws Exception
    {
        String a = submit("{}");
        List<Lease> leases = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            List<Claim> claims = store().claim(claim(1));
            assertThat(claims).hasSize(1);
            assertThat(claims.get(0).lease().attempt()).isEqualTo(attempt);
            leases.add(claims.get(0).lease());
            clock.advance(Duration.ofSeconds(11));
        }
        assertThat(store().claim(claim(1))).isEmpty();
        TaskRecord task = store().get(a).orElseThrow();
        assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(task.error()).get().extracting(TaskError::reason).isEqualTo("worker-crash");
        assertThat(task.attempt()).isEqualTo(2);
        for (Lease lease : leases) {
            assertThatThrownBy(() -> store().resolve(lease, TaskResolution.completed()))
                    .isInstanceOf(LeaseLostException.class);
        }
        assertThat(store().get(a).orElseThrow().status()).isEqualTo(TaskStatus.FAILED);
    }

    @Test
    void maintenanceFailsCrashedTasksWithoutAClaim()
            throws Exception
    {
        store = SqliteTaskStore.Options.builder(folder).clock(clock).maxAttempts(1).open();
        String a = submit("{}");
        store.claim(claim(1));
        clock.advance(Duration.ofSeconds(11));
        store.maintain();
        assertThat(store.get(a).orElseThrow().error()).get().extracting(TaskError::reason).isEqualTo("worker-crash");
    }

    @Test
    void aVersionOneDatabaseIsMigratedAndKeepsItsTasks()
            throws Exception
    {
        String kept = submit("{\"f\":1}");
        store.close();
        store = null;
        // turn the database back into schema version 1: no exit_code column
        try (java.sql.Connection connection =
                java.sql.DriverManager.getConnection("jdbc:sqlite:" + folder.resolve("taskyard.db").toAbsolutePath());
                java.sql.Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE tasks DROP COLUMN exit_code");
            statement.execute("ALTER TABLE tasks DROP COLUMN sandbox_engine");
            statement.execute("ALTER TABLE tasks DROP COLUMN sandbox_data");
            statement.execute("UPDATE schema_version SET version = 1");
        }
        assertThat(store().get(kept).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
        Claim claim = store().claim(claim(1)).get(0);
        store().resolve(claim.lease(), TaskResolution.completed().withExitCode(java.util.OptionalInt.of(0)));
        assertThat(store().get(kept).orElseThrow().exitCode()).hasValue(0);
    }

    @Test
    void aVersionTwoDatabaseIsMigratedAndKeepsItsRunningTasks()
            throws Exception
    {
        String kept = submit("{\"f\":1}");
        Lease lease = store().claim(claim(1)).get(0).lease();
        store.close();
        store = null;
        // turn the database back into schema version 2: no saved sandbox handles
        try (java.sql.Connection connection =
                java.sql.DriverManager.getConnection("jdbc:sqlite:" + folder.resolve("taskyard.db").toAbsolutePath());
                java.sql.Statement statement = connection.createStatement()) {
            statement.execute("ALTER TABLE tasks DROP COLUMN sandbox_engine");
            statement.execute("ALTER TABLE tasks DROP COLUMN sandbox_data");
            statement.execute("UPDATE schema_version SET version = 2");
        }
        assertThat(store().get(kept).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(store().saveSandbox(lease, new dev.taskyard.engine.SandboxHandle("process", "{}"))).isTrue();
        try (java.sql.Connection connection =
                java.sql.DriverManager.getConnection("jdbc:sqlite:" + folder.resolve("taskyard.db").toAbsolutePath());
                java.sql.Statement statement = connection.createStatement();
                java.sql.ResultSet rows = statement.executeQuery("SELECT version FROM schema_version")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getInt(1)).isEqualTo(3);
        }
    }

    @Test
    void aCancelReachesTheLeaseHoldersListenerAtOnce()
            throws Exception
    {
        String watched = submit("{\"f\":1}");
        String closed = submit("{\"f\":2}");
        List<Claim> claims = store().claim(claim(2));
        java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger heardAfterClose = new java.util.concurrent.atomic.AtomicInteger();
        Claim first = claims.stream().filter(c -> c.lease().taskId().equals(watched)).findFirst().orElseThrow();
        Claim second = claims.stream().filter(c -> c.lease().taskId().equals(closed)).findFirst().orElseThrow();
        var subscription = store().onCancel(first.lease(), heard::incrementAndGet);
        store().onCancel(second.lease(), heardAfterClose::incrementAndGet).close();

        store().cancel(watched, "stop it");
        store().cancel(watched, "again");
        store().cancel(closed, "stop it");
        assertThat(heard).as("told once, on the cancelling thread").hasValue(1);
        assertThat(heardAfterClose).as("a closed subscription is not told").hasValue(0);
        subscription.close();

        java.util.concurrent.atomic.AtomicInteger late = new java.util.concurrent.atomic.AtomicInteger();
        store().onCancel(first.lease(), late::incrementAndGet);
        assertThat(late).as("registered after the cancel: told at once").hasValue(1);
    }

    @Test
    void resolutionsMapToStatusesAndErrors()
            throws Exception
    {
        String failed = submit("{\"f\":1}");
        String malformed = submit("{\"f\":2}");
        String canceled = submit("{\"f\":3}");
        String shutdown = submit("{\"f\":4}");
        List<Claim> claims = store().claim(claim(4));
        store().resolve(claims.get(0).lease(),
                TaskResolution.failed().withResult(json("[1]")).withExitCode(java.util.OptionalInt.of(3)));
        store().resolve(claims.get(1).lease(),
                TaskResolution.exception(ExceptionReason.MALFORMED_PAYLOAD)
                .withMessage("malformed payload: $.command: required"));
        store().resolve(claims.get(2).lease(), TaskResolution.exception(ExceptionReason.CANCELED));
        store().resolve(claims.get(3).lease(), TaskResolution.exception(ExceptionReason.WORKER_SHUTDOWN));
        assertThat(store().get(failed).orElseThrow()).satisfies(t -> {
            assertThat(t.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(t.error().orElseThrow().reason()).isEqualTo("task-failed");
            assertThat(t.result()).contains(json("[1]"));
            assertThat(t.exitCode()).hasValue(3);
            assertThat(t.error().orElseThrow().detail()).contains("exit code 3");
        });
        assertThat(store().get(malformed).orElseThrow()).satisfies(t -> {
            assertThat(t.status()).isEqualTo(TaskStatus.FAILED);
            assertThat(t.error().orElseThrow().reason()).isEqualTo("malformed-payload");
            assertThat(t.error().orElseThrow().title()).isNotBlank();
            assertThat(t.error().orElseThrow().detail()).contains("$.command: required");
            assertThat(t.exitCode()).isEmpty();
        });
        assertThat(store().get(canceled).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(store().get(shutdown).orElseThrow().error().orElseThrow().reason()).isEqualTo("worker-shutdown");
        assertThat(store().countByStatus()).containsEntry(TaskStatus.FAILED, 3L).containsEntry(TaskStatus.CANCELED, 1L)
                .containsEntry(TaskStatus.PENDING, 0L);
    }

    @Test
    void cancellingResolvesPendingTasksAndRevokesRunningLeases()
            throws Exception
    {
        String pending = submit("{}");
        String running = submit("{}");
        assertThat(store().cancel(pending, "not needed")).get().satisfies(t -> {
            assertThat(t.status()).isEqualTo(TaskStatus.CANCELED);
            assertThat(t.error().orElseThrow().reason()).isEqualTo("canceled");
            assertThat(t.error().orElseThrow().detail()).isEqualTo("not needed");
        });
        Lease lease = store().claim(claim(5)).get(0).lease();
        assertThat(lease.taskId()).isEqualTo(running);
        long version = store().cancel(running, "stop").orElseThrow().version();
        assertThat(store().get(running).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
        assertThatThrownBy(() -> store().renew(lease)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.CANCELED));
        assertThatThrownBy(() -> store().resolve(lease, TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.CANCELED));
        assertThat(store().cancel(running, "again").orElseThrow().version())
                .as("cancel is idempotent").isEqualTo(version);
        assertThat(store().cancel("nope", "x")).isEmpty();
        assertThat(store().claim(claim(5))).isEmpty();
        clock.advance(Duration.ofMinutes(1));
        assertThat(store().claim(claim(5))).as("a cancelled task is not handed out after its lease expires").isEmpty();
    }

    @Test
    void aLongPollingClaimWakesOnSubmit()
            throws Exception
    {
        store();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch started = new CountDownLatch(1);
            Future<List<Claim>> claims = pool.submit(() -> {
                started.countDown();
                return store.claim(new ClaimRequest(WORKER, 1, Duration.ofMinutes(5), Duration.ofSeconds(10)));
            });
            assertThat(started.await(1, TimeUnit.MINUTES)).isTrue();
            String id = submit("{}");
            assertThat(claims.get(1, TimeUnit.MINUTES)).extracting(c -> c.task().taskId()).containsExactly(id);
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentClaimersNeverHandOutATaskTwice()
            throws Exception
    {
        store = SqliteTaskStore.Options.builder(folder).open();
        int tasks = 800;
        long start = System.nanoTime();
        for (int i = 0; i < tasks; i++) {
            store.submit(request("{\"i\":" + i + "}"));
        }
        double submitSeconds = (System.nanoTime() - start) / 1e9;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<String>>> claimers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                claimers.add(pool.submit(() -> {
                    go.await();
                    List<String> mine = new ArrayList<>();
                    while (true) {
                        List<Claim> claims =
                                store.claim(new ClaimRequest(WORKER, 1, Duration.ZERO, Duration.ofMinutes(10)));
                        if (claims.isEmpty()) {
                            return mine;
                        }
                        for (Claim claim : claims) {
                            mine.add(claim.task().taskId() + "#" + claim.lease().attempt());
                            store.resolve(claim.lease(), TaskResolution.completed());
                        }
                    }
                }));
            }
            long claimStart = System.nanoTime();
            go.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> claimer : claimers) {
                all.addAll(claimer.get(5, TimeUnit.MINUTES));
            }
            double claimSeconds = (System.nanoTime() - claimStart) / 1e9;
            Set<String> unique = new HashSet<>(all);
            assertThat(all).hasSize(tasks);
            assertThat(unique).hasSize(tasks);
            assertThat(all).allSatisfy(claim -> assertThat(claim).endsWith("#0"));
            assertThat(store.countByStatus()).containsEntry(TaskStatus.COMPLETED, (long) tasks);
            LOG.info("throughput (synchronous=FULL): {} submits/s (1 thread), {} claim+resolve/s (4 threads)",
                    Math.round(tasks / submitSeconds), Math.round(tasks / claimSeconds));
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void claimsHandOutAtMostMaxInSubmissionOrder()
            throws Exception
    {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(submit("{}"));
        }
        assertThat(store().claim(claim(3))).extracting(c -> c.task().taskId())
                .containsExactlyElementsOf(ids.subList(0, 3));
        assertThat(store().claim(claim(3))).extracting(c -> c.task().taskId())
                .containsExactlyElementsOf(ids.subList(3, 5));
        assertThat(Optional.of(store().countByStatus().get(TaskStatus.RUNNING))).contains(5L);
    }

    @Test
    void twoStoresOnOneFolderNeverHandOutATaskTwice()
            throws Exception
    {
        int tasks = 300;
        try (SqliteTaskStore one = SqliteTaskStore.Options.builder(folder).synchronousFull(false).open();
             SqliteTaskStore two = SqliteTaskStore.Options.builder(folder).synchronousFull(false).open()) {
            for (int i = 0; i < tasks; i++) {
                (i % 2 == 0 ? one : two).submit(request("{}"));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<String>>> claimers = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    SqliteTaskStore store = w % 2 == 0 ? one : two;
                    claimers.add(pool.submit(() -> {
                        go.await();
                        List<String> mine = new ArrayList<>();
                        List<Claim> claims;
                        while (!(claims = store.claim(new ClaimRequest(WORKER, 3, Duration.ZERO,
                                Duration.ofMinutes(10)))).isEmpty()) {
                            claims.forEach(c -> mine.add(c.task().taskId()));
                        }
                        return mine;
                    }));
                }
                go.countDown();
                List<String> all = new ArrayList<>();
                for (Future<List<String>> claimer : claimers) {
                    all.addAll(claimer.get(5, TimeUnit.MINUTES));
                }
                assertThat(all).hasSize(tasks).doesNotHaveDuplicates();
            }
            finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aHandedBackLeaseRequeuesTheTaskWithoutUsingAnAttempt()
            throws Exception
    {
        String id = submit("{\"n\":1}");
        Claim first = store().claim(claim(1)).get(0);
        byte[] line = "partial\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        store().appendLog(id, first.lease().runId(), line, 0, line.length);
        store().closeLog(id, first.lease().runId());
        store().put(id, first.lease().runId(), "out.txt", new java.io.ByteArrayInputStream(line));
        store().reportProgress(first.lease(), 40);

        assertThat(store().release(first.lease())).isTrue();
        TaskRecord pending = store().get(id).orElseThrow();
        assertThat(pending.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(pending.attempt()).isZero();
        assertThat(pending.progressPercent()).isZero();
        assertThat(pending.startedAt()).isEmpty();
        assertThat(store().release(first.lease())).as("released twice").isFalse();
        // the stopping worker closes the run's log after handing it back, as the server's worker does
        store().closeLog(id, first.lease().runId());
        assertThatThrownBy(() -> store().resolve(first.lease(), TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class);

        Claim again = store().claim(claim(1)).get(0);
        assertThat(again.lease().attempt()).isZero();
        assertThat(again.lease().token()).isNotEqualTo(first.lease().token());
        assertThat(store().list(id, again.lease().runId())).as("artifacts of the handed-back run").isEmpty();
        byte[] fresh = "fresh\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        store().appendLog(id, again.lease().runId(), fresh, 0, fresh.length);
        store().closeLog(id, again.lease().runId());
        store().resolve(again.lease(), TaskResolution.completed());
        try (java.io.InputStream in = store().openLog(id, 0)) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("fresh\n");
        }
        assertThat(store().get(id).orElseThrow().status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(store().release(again.lease())).as("resolved").isFalse();
    }

    @Test
    void aCancelledOrExpiredLeaseIsNotHandedBack()
            throws Exception
    {
        String cancelled = submit("{\"n\":1}");
        Claim claim = store().claim(claim(1)).get(0);
        store().cancel(cancelled, "test");
        assertThat(store().release(claim.lease())).isFalse();
        assertThat(store().get(cancelled).orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);

        String expired = submit("{\"n\":2}");
        Claim old = store().claim(claim(1)).get(0);
        clock.advance(Duration.ofMinutes(1));
        Claim current = store().claim(claim(1)).get(0);
        assertThat(current.task().taskId()).isEqualTo(expired);
        assertThat(store().release(old.lease())).isFalse();
        assertThat(store().get(expired).orElseThrow().attempt()).isEqualTo(1);
    }

    @Test
    void changeListenersHearEveryChangeOfATask()
            throws Exception
    {
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        TaskChangeListener listener = heard::add;
        assertThat(store().addChangeListener(listener)).isTrue();
        String id = submit("{\"n\":1}");
        Claim claim = store().claim(claim(1)).get(0);
        store().reportProgress(claim.lease(), 50);
        store().renew(claim.lease());
        store().resolve(claim.lease(), TaskResolution.completed());
        store().delete(id);
        assertThat(heard).containsExactly(id, id, id, id, id);
        store().removeChangeListener(listener);
        submit("{\"n\":2}");
        assertThat(heard).hasSize(5);
    }
}
