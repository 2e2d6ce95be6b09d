package dev.taskyard.store.postgres;

import java.nio.file.NoSuchFileException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.Submission;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.postgres.internal.Combiner;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Writes of one kind made at the same time are combined into one statement, and each caller still gets its own
 * outcome. Each test holds a lock on the written table from another connection, so that the first two calls wait in
 * the database (two units of a kind in flight, the most the store runs at once) and the next ones queue behind them;
 * releasing the lock runs the queued ones as one combined write.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PostgresCombinedWritesTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final WorkerIdentity WORKER = new WorkerIdentity("g", "w");

    private PostgresTestDatabase database;
    private String schema;
    private PostgresTaskStore store;
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void open()
            throws Exception
    {
        database = PostgresTestDatabase.require();
        schema = database.newSchema("combined");
        store = database.store(schema).poolSize(8).open();
    }

    @AfterEach
    void close()
            throws Exception
    {
        threads.shutdownNow();
        if (store != null) {
            store.close();
        }
        if (database != null) {
            database.dropSchema(schema);
        }
    }

    @Test
    void combinedResolutionsEachGetTheirOwnOutcome()
            throws Exception
    {
        List<Claim> claims = submitAndClaim(16);
        Lease repeated = claims.get(0).lease();
        store.resolve(repeated, TaskResolution.completed());
        long repeatedVersion = version(repeated.taskId());
        Lease stale = new Lease(claims.get(1).lease().taskId(), claims.get(1).lease().attempt(), "not-the-token",
                claims.get(1).lease().expiresAt());
        Map<String, Long> versions = new HashMap<>();
        for (Claim claim : claims) {
            versions.put(claim.task().taskId(), version(claim.task().taskId()));
        }

        List<Callable<Object>> first = new ArrayList<>();
        List<Callable<Object>> queued = new ArrayList<>();
        for (int i = 2; i < claims.size(); i++) {
            Lease lease = claims.get(i).lease();
            TaskResolution resolution = i % 2 == 0 ? TaskResolution.completed() : TaskResolution.failed();
            (i < 4 ? first : queued).add(() -> {
                store.resolve(lease, resolution);
                return "resolved";
            });
        }
        queued.add(() -> {
            store.resolve(repeated, TaskResolution.failed());
            return "repeated";
        });
        queued.add(() -> {
            store.resolve(stale, TaskResolution.completed());
            return "stale resolved";
        });
        List<Future<Object>> calls = whileLocked("tasks", "resolve", first, queued);

        for (int i = 0; i < calls.size() - 1; i++) {
            assertThat(calls.get(i).get()).isIn("resolved", "repeated");
        }
        assertThatThrownBy(() -> calls.get(calls.size() - 1).get()).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(LeaseLostException.class);
        for (int i = 2; i < claims.size(); i++) {
            String taskId = claims.get(i).task().taskId();
            TaskRecord task = store.get(taskId).orElseThrow();
            assertThat(task.status()).as(taskId).isEqualTo(i % 2 == 0 ? TaskStatus.COMPLETED : TaskStatus.FAILED);
            assertThat(task.version()).as("one version step for " + taskId).isEqualTo(versions.get(taskId) + 1);
        }
        assertThat(store.get(repeated.taskId()).orElseThrow().status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(version(repeated.taskId())).isEqualTo(repeatedVersion);
        assertThat(store.get(stale.taskId()).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
        assertCombined("resolve", queued.size());
    }

    @Test
    void aCombinedWriteThatFailsRunsEachRequestAlone()
            throws Exception
    {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            // every combined resolution now fails for a reason that is not the connection's
            statement.execute("DROP FUNCTION " + schema + ".taskyard_resolve");
        }
        List<Claim> claims = submitAndClaim(12);
        Lease stale = new Lease(claims.get(11).lease().taskId(), claims.get(11).lease().attempt(), "not-the-token",
                claims.get(11).lease().expiresAt());
        List<Callable<Object>> first = new ArrayList<>();
        List<Callable<Object>> queued = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            Lease lease = claims.get(i).lease();
            (i < 2 ? first : queued).add(() -> {
                store.resolve(lease, TaskResolution.completed());
                return "resolved";
            });
        }
        queued.add(() -> {
            store.resolve(stale, TaskResolution.completed());
            return "stale resolved";
        });
        List<Future<Object>> calls = whileLocked("tasks", "resolve", first, queued);
        for (int i = 0; i < 11; i++) {
            assertThat(calls.get(i).get()).isEqualTo("resolved");
            assertThat(store.get(claims.get(i).task().taskId()).orElseThrow().status())
                    .isEqualTo(TaskStatus.COMPLETED);
        }
        assertThatThrownBy(() -> calls.get(11).get()).hasCauseInstanceOf(LeaseLostException.class);
        assertThat(store.get(stale.taskId()).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
        assertCombined("resolve", queued.size());
    }

    @Test
    void combinedSandboxHandlesEachGetTheirOwnOutcome()
            throws Exception
    {
        List<Claim> claims = submitAndClaim(14);
        Lease stale = new Lease(claims.get(13).lease().taskId(), claims.get(13).lease().attempt(), "not-the-token",
                claims.get(13).lease().expiresAt());
        List<Callable<Object>> first = new ArrayList<>();
        List<Callable<Object>> queued = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            Lease lease = claims.get(i).lease();
            SandboxHandle handle = new SandboxHandle("mock", "h-" + lease.taskId());
            (i < 2 ? first : queued).add(() -> store.saveSandbox(lease, handle));
        }
        queued.add(() -> store.saveSandbox(stale, new SandboxHandle("mock", "stale")));
        List<Future<Object>> calls = whileLocked("tasks", "saveSandbox", first, queued);
        for (int i = 0; i < 13; i++) {
            assertThat(calls.get(i).get()).isEqualTo(true);
            String taskId = claims.get(i).task().taskId();
            assertThat(sandboxData(taskId)).isEqualTo("h-" + taskId);
        }
        assertThatThrownBy(() -> calls.get(13).get()).hasCauseInstanceOf(LeaseLostException.class);
        assertThat(sandboxData(stale.taskId())).isNull();
        assertCombined("saveSandbox", queued.size());
    }

    @Test
    void combinedSubmitsEachCreateTheirOwnTask()
            throws Exception
    {
        Instant deadline = Instant.ofEpochMilli(System.currentTimeMillis() + 3_600_000);
        List<Callable<Submission>> first = new ArrayList<>();
        List<Callable<Submission>> queued = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int n = i;
            (i < 2 ? first : queued).add(() -> store.submit(new SubmitRequest(JSON.readTree("{\"n\":" + n + "}"),
                    Optional.empty(), n == 5 ? Optional.of(deadline) : Optional.empty())));
        }
        List<Future<Submission>> calls = whileLocked("tasks", "submit", first, queued);
        HashSet<String> ids = new HashSet<>();
        for (int i = 0; i < calls.size(); i++) {
            Submission submission = calls.get(i).get();
            assertThat(submission.created()).isTrue();
            assertThat(submission.task().status()).isEqualTo(TaskStatus.PENDING);
            assertThat(submission.task().payload().get("n").asInt()).isEqualTo(i);
            assertThat(store.get(submission.task().taskId()).orElseThrow().payload().get("n").asInt()).isEqualTo(i);
            ids.add(submission.task().taskId());
        }
        assertThat(ids).hasSize(12);
        assertThat(store.countByStatus().get(TaskStatus.PENDING)).isEqualTo(12);
        assertThat(deadlineOf(calls.get(5).get().task().taskId())).isEqualTo(deadline.toEpochMilli());
        assertCombined("submit", queued.size());
    }

    @Test
    void combinedLogClosesEachGetTheirOwnOutcome()
            throws Exception
    {
        List<String> taskIds = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            taskIds.add(store.submit(new SubmitRequest(JSON.readTree("{}"), Optional.empty(), Optional.empty()))
                    .task().taskId());
        }
        List<Callable<Object>> first = new ArrayList<>();
        List<Callable<Object>> queued = new ArrayList<>();
        for (int i = 0; i < taskIds.size(); i++) {
            String taskId = taskIds.get(i);
            (i < 2 ? first : queued).add(() -> {
                store.closeLog(taskId, "0");
                return "closed";
            });
        }
        // the same log twice in one combined close, and a task that does not exist (fails the combined statement)
        queued.add(() -> {
            store.closeLog(taskIds.get(5), "0");
            return "closed";
        });
        queued.add(() -> {
            store.closeLog("no-such-task", "0");
            return "closed";
        });
        List<Future<Object>> calls = whileLocked("task_logs", "closeLog", first, queued);
        for (int i = 0; i < calls.size() - 1; i++) {
            assertThat(calls.get(i).get()).isEqualTo("closed");
        }
        assertThatThrownBy(() -> calls.get(calls.size() - 1).get()).hasCauseInstanceOf(NoSuchFileException.class);
        try (Connection connection = connect();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT count(*) FROM " + schema + ".task_logs WHERE closed AND run_id = '0'");
             ResultSet rows = select.executeQuery()) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(11);
        }
        assertCombined("closeLog", queued.size());
    }

    /**
     * The single-row writes under a lease find their row by primary key even when the statistics say that no task is
     * RUNNING (taken after a burst of submits) while many are: with a plain {@code status = 'RUNNING'} the planner
     * may walk the tasks_leased index, every RUNNING row, instead.
     */
    @Test
    void aLeasedRowIsFoundByPrimaryKeyWhateverTheStatistics()
            throws Exception
    {
        for (int i = 0; i < 200; i++) {
            store.submit(new SubmitRequest(JSON.readTree("{}"), Optional.empty(), Optional.empty()));
        }
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("ANALYZE " + schema + ".tasks");
        }
        List<Claim> claims = store.claim(new ClaimRequest(WORKER, 200, Duration.ZERO, Duration.ofMinutes(5)));
        assertThat(claims).hasSize(200);
        Lease lease = claims.get(100).lease();
        String where = PostgresTaskStore.LEASED_ROW.replaceFirst("\\?", "'" + lease.taskId() + "'")
                .replaceFirst("\\?", "'" + lease.token() + "'");
        StringBuilder plan = new StringBuilder();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET search_path = " + schema);
            try (ResultSet rows = statement.executeQuery("EXPLAIN UPDATE tasks SET progress = 1 WHERE " + where)) {
                while (rows.next()) {
                    plan.append(rows.getString(1)).append('\n');
                }
            }
        }
        assertThat(plan.toString()).contains("tasks_pkey").doesNotContain("tasks_leased");
    }

    private List<Claim> submitAndClaim(int count)
            throws Exception
    {
        for (int i = 0; i < count; i++) {
            store.submit(new SubmitRequest(JSON.readTree("{\"i\":" + i + "}"), Optional.empty(), Optional.empty()));
        }
        List<Claim> claims = store.claim(new ClaimRequest(WORKER, count, Duration.ZERO, Duration.ofMinutes(5)));
        assertThat(claims).hasSize(count);
        return claims;
    }

    /**
     * Locks {@code table} from another connection, starts the {@code first} calls (two; they wait for the lock in
     * the database, holding both units in flight), then the {@code queued} ones, waits until those queue for a
     * combined write, and releases the lock.
     */
    private <T> List<Future<T>> whileLocked(String table, String kind, List<Callable<T>> first,
            List<Callable<T>> queued)
            throws Exception
    {
        Combiner<?, ?> combiner = store.combiners().get(kind);
        List<Future<T>> calls = new ArrayList<>();
        try (Connection lock = connect()) {
            lock.setAutoCommit(false);
            try (Statement statement = lock.createStatement()) {
                statement.execute("LOCK TABLE " + schema + "." + table + " IN EXCLUSIVE MODE");
            }
            for (Callable<T> call : first) {
                calls.add(threads.submit(call));
            }
            awaitWaiters(table, first.size());
            for (Callable<T> call : queued) {
                calls.add(threads.submit(call));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (combiner.queued() < queued.size()) {
                assertThat(System.nanoTime()).as("all calls queued").isLessThan(deadline);
                Thread.sleep(5);
            }
            lock.commit();
        }
        for (Future<T> call : calls) {
            try {
                call.get(1, TimeUnit.MINUTES);
            }
            catch (ExecutionException expected) {
                // the test looks at each outcome
            }
        }
        return calls;
    }

    private void awaitWaiters(String table, int count)
            throws Exception
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection connection = connect();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT count(*) FROM pg_locks WHERE relation = ?::regclass AND NOT granted")) {
            select.setString(1, schema + "." + table);
            while (true) {
                try (ResultSet rows = select.executeQuery()) {
                    rows.next();
                    if (rows.getInt(1) >= count) {
                        return;
                    }
                }
                assertThat(System.nanoTime()).as(count + " calls waiting for the lock").isLessThan(deadline);
                Thread.sleep(5);
            }
        }
    }

    private void assertCombined(String kind, int queued)
    {
        Combiner<?, ?> combiner = store.combiners().get(kind);
        assertThat(combiner.combined()).as("requests run in batches").isGreaterThanOrEqualTo(queued);
        assertThat(combiner.batches()).as("batches").isLessThan(combiner.combined());
    }

    private long version(String taskId)
            throws Exception
    {
        return store.get(taskId).orElseThrow().version();
    }

    private String sandboxData(String taskId)
            throws SQLException
    {
        return column("sandbox_data", taskId);
    }

    private long deadlineOf(String taskId)
            throws SQLException
    {
        return Long.parseLong(column("deadline", taskId));
    }

    private String column(String column, String taskId)
            throws SQLException
    {
        try (Connection connection = connect();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT " + column + " FROM " + schema + ".tasks WHERE id = ?")) {
            select.setString(1, taskId);
            try (ResultSet rows = select.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }

    private Connection connect()
            throws SQLException
    {
        return DriverManager.getConnection(database.url, database.user, database.password);
    }
}
