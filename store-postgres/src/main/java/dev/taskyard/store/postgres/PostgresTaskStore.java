package dev.taskyard.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.store.IdempotencyConflictException;
import dev.taskyard.store.QueueFullException;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.Submission;
import dev.taskyard.store.TaskChangeListener;
import dev.taskyard.store.TaskPage;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.TaskStore;
import dev.taskyard.store.internal.CanonicalJson;
import dev.taskyard.store.internal.CancelWatches;
import dev.taskyard.store.internal.ChangeListeners;
import dev.taskyard.store.internal.ChangeNotifier;
import dev.taskyard.store.internal.LeaseRows;
import dev.taskyard.store.internal.TaskIds;
import dev.taskyard.store.internal.TaskPageQuery;
import dev.taskyard.store.internal.TaskRows;
import dev.taskyard.store.postgres.internal.ArtifactRows;
import dev.taskyard.store.postgres.internal.Combiner;
import dev.taskyard.store.postgres.internal.LogRows;
import dev.taskyard.store.postgres.internal.Notifications;
import dev.taskyard.store.postgres.internal.Retrying;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.ReclaimedRun;
import dev.taskyard.worker.TaskResolution;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A {@link TaskStore} in PostgreSQL, shared by any number of store instances (one per {@code taskyard serve}) on any
 * number of hosts: each task is claimed by one of them at a time, and tasks, logs and artifacts are readable through
 * every one of them.
 *
 * <p>Claims: one statement locks the oldest PENDING tasks and the longest-expired RUNNING ones with
 * {@code FOR UPDATE SKIP LOCKED} (concurrent claimers skip each other's rows instead of waiting) and hands them out
 * under a new lease: a fresh token, the next attempt number and an expiry. Every renewal, progress report,
 * resolution and hand-back presents the token ({@code WHERE lease_token = ?}): a stale lease changes nothing. A
 * resolution is accepted once per lease; repeating it is a no-op, so resolution is exactly-once in the store while
 * runs are at-least-once (a run whose node dies is run again once its lease expires).
 *
 * <p>Notifications: submits, hand-backs, cancels, changes and log appends are announced to the other instances with
 * {@code LISTEN/NOTIFY} as batched hints (see {@link Notifications}): a waiting claimer wakes when any node submits,
 * {@link #onCancel} listeners run when any node cancels, {@link #awaitChange} and the
 * {@linkplain #addChangeListener change listeners} hear changes made by any node, and log readers follow appends made
 * on any node. Every waiter also re-checks every {@value #POLL_MILLIS} ms, which covers lost hints and lease expiry.
 *
 * <p>Times: the nodes' clocks decide creation times, lease expiry and retention, so the hosts' clocks must be
 * synchronized (NTP) to well within a lease duration.
 *
 * <p>Combined writes (group commit on the client side): resolutions, sandbox handles, key-less submits and log closes
 * that this instance's threads make at the same time share statements. A call that finds fewer than {@value
 * Combiner#MAX_IN_FLIGHT} statements of its kind running runs at once, alone, as one statement; the calls that arrive
 * while that many run queue, and the oldest of them runs all queued by then (up to {@value Combiner#MAX_BATCH}) as one
 * statement, one round trip and one commit (see {@code Combiner}): no call waits for others to arrive. Each caller gets
 * its own outcome: a request the combined statement did not apply (a lost lease, a repeated resolution, a deleted task)
 * and every request of a combined statement that failed for a reason not the connection's run alone, on their callers'
 * threads, exactly as single calls. Resolutions and submits stay synchronous commits, sandbox handles and log closes
 * asynchronous ones, as single.
 *
 * <p>Failures: every unit of work is retried with backoff while the database is unreachable, for up to
 * {@link Options#retryFor()}; then it fails with {@link QueueException} (the worker retries its claims and renewals
 * itself, and a lease that expired meanwhile hands the task out again, so no task is lost). {@link #open} fails at
 * once with a clear message when the database cannot be reached.
 *
 * <p>Threading: thread-safe. Lifecycle: {@link #open} migrates the schema (Flyway), starts the notification threads
 * and a maintenance thread (failing tasks whose last attempt expired, the retention purge); {@link #close} stops them
 * and closes the pool.
 */
public final class PostgresTaskStore
        implements TaskStore
{
    private static final Logger LOG = LoggerFactory.getLogger(PostgresTaskStore.class);
    private static final long POLL_MILLIS = 1000;
    private static final int PURGE_BATCH = 500;
    private static final long PENDING_RECOUNT_MILLIS = 1000;
    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,47}");
    private static final String COLUMNS = TaskRows.COLUMNS;
    /**
     * The row of a task under a given lease (parameters: task id, lease token), found by primary key only. The status
     * test is written so that no index can serve it: with {@code status = 'RUNNING'}, a table whose statistics were
     * taken while no task was RUNNING (after a burst of submits, say) makes the planner walk the tasks_leased index,
     * i.e. every RUNNING row, even in a custom plan (EXPLAIN ANALYZE, 128 RUNNING rows: 0.07-0.11 ms instead of
     * 0.035-0.044 ms by primary key).
     */
    static final String LEASED_ROW = "id = ? AND lease_token = ? AND status || '' = 'RUNNING'";
    /** Resolves the task under a lease; an expired lease that nobody claimed since is still the current one. */
    private static final String RESOLVE = """
            UPDATE tasks
            SET status = ?, completed_at = ?, result = ?, error_reason = ?, error_title = ?, error_detail = ?, \
            resolved_token = ?,
                progress = CASE WHEN ? = 'COMPLETED' THEN 100 ELSE progress END, version = version + 1, exit_code = ?
            WHERE\s""" + LEASED_ROW;
    private static final String RENEW = "UPDATE tasks SET lease_expires_at = ? + lease_duration_ms WHERE " + LEASED_ROW
            + " AND lease_expires_at > ? RETURNING lease_expires_at";
    /** Saves a sandbox handle under a lease, committed without waiting for the flush of the write-ahead log. */
    private static final String SAVE_SANDBOX = "UPDATE tasks SET sandbox_engine = ?, sandbox_data = ? "
            + "FROM (SELECT set_config('synchronous_commit', 'off', TRUE)) AS async WHERE " + LEASED_ROW;
    private static final String PROGRESS = "UPDATE tasks SET progress = ?, version = version + 1 WHERE " + LEASED_ROW;
    private static final String RELEASE = """
            UPDATE tasks
            SET status = 'PENDING', attempts = attempts - 1, lease_token = NULL, lease_expires_at = NULL, \
            lease_worker = NULL,
                lease_duration_ms = NULL, started_at = NULL, progress = 0, version = version + 1, \
            sandbox_engine = NULL, sandbox_data = NULL
            WHERE\s""" + LEASED_ROW + " AND NOT cancel_requested AND attempts > 0";
    private static final String TERMINAL = "('COMPLETED', 'FAILED', 'CANCELED')";
    /**
     * Fails the RUNNING tasks whose lease expired after their last allowed attempt (skipping rows others hold), up to
     * 100 at a time; parameters set by {@link #setCrashed}, returns their id and attempts.
     */
    private static final String CRASHED = """
            UPDATE tasks
            SET status = 'FAILED', completed_at = ?, error_reason = ?, error_title = ?, error_detail = ?, \
            version = version + 1
            WHERE id IN (SELECT id FROM tasks WHERE status = 'RUNNING' AND lease_expires_at <= ? AND attempts >= ?
                         LIMIT 100 FOR UPDATE SKIP LOCKED)
            RETURNING id, attempts""";
    private static final char SUBMITTED = 's';
    private static final char CANCELED = 'c';
    private static final char CHANGED = 'v';
    private static final char LOG_GREW = 'l';

    /**
     * How a store is opened.
     *
     * @param url the JDBC URL, {@code jdbc:postgresql://host:port/database}
     * @param user the database user
     * @param password the user's password (empty for none)
     * @param schema the schema holding the tables (created if missing); also names the notification channel, so that
     *        stores in different schemas of one database do not hear each other
     * @param poolSize connections of this instance's pool (the listening connection comes on top)
     * @param maxAttempts how often a task is handed out at most (expired leases included)
     * @param maxPendingTasks submits fail with {@link QueueFullException} beyond about this many PENDING tasks (counted
     *        across all nodes at most once a second, exactly when near the limit)
     * @param retention terminal tasks completed longer ago are purged
     * @param retryFor how long a unit of work is retried while the database is unreachable
     * @param connectTimeout how long to wait for a connection
     * @param maintenanceInterval how often the crashed-task check and the retention purge run
     * @param clock decides creation times, lease expiry and retention
     */
    public record Options(String url, String user, String password, String schema, int poolSize,
            int maxAttempts, long maxPendingTasks,
                          Duration retention, Duration retryFor, Duration connectTimeout,
                                  Duration maintenanceInterval, Clock clock)
    {
        public Options
        {
            requireNonNull(url, "url is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
            requireNonNull(schema, "schema is null");
            requireNonNull(retention, "retention is null");
            requireNonNull(retryFor, "retryFor is null");
            requireNonNull(connectTimeout, "connectTimeout is null");
            requireNonNull(maintenanceInterval, "maintenanceInterval is null");
            requireNonNull(clock, "clock is null");
            if (!url.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("url must start with jdbc:postgresql: (got " + url + ")");
            }
            if (!SCHEMA.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema must match " + SCHEMA.pattern() + " (got " + schema + ")");
            }
            if (poolSize < 2 || maxAttempts < 1 || maxPendingTasks < 1) {
                throw new IllegalArgumentException("poolSize must be at least 2, maxAttempts and maxPendingTasks at "
                        + "least 1");
            }
            if (retention.isNegative() || retryFor.isNegative() || connectTimeout.toMillis() < 250
                    || maintenanceInterval.toMillis() < 1) {
                throw new IllegalArgumentException("durations must be positive (connectTimeout at least 250 ms)");
            }
        }

        /** Without the password. */
        @Override
        public String toString()
        {
            return "Options[url=" + url + ", user=" + user + ", schema=" + schema + ", poolSize=" + poolSize
                    + ", maxAttempts=" + maxAttempts
                    + ", maxPendingTasks=" + maxPendingTasks + ", retention=" + retention
                            + ", retryFor=" + retryFor + "]";
        }

        /** Defaults: schema taskyard, pool of 10, 3 attempts, 100,000 pending tasks, 7 days of retention, 60 s of
         * retries. */
        public static Builder builder(String url, String user, String password)
        {
            return new Builder(url, user, password);
        }
    }

    /** Builds {@link Options}. Not thread-safe. */
    public static final class Builder
    {
        private final String url;
        private final String user;
        private final String password;
        private String schema = "taskyard";
        private int poolSize = 10;
        private int maxAttempts = 3;
        private long maxPendingTasks = 100_000;
        private Duration retention = Duration.ofDays(7);
        private Duration retryFor = Duration.ofSeconds(60);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration maintenanceInterval = Duration.ofSeconds(30);
        private Clock clock = Clock.systemUTC();

        private Builder(String url, String user, String password)
        {
            this.url = url;
            this.user = user;
            this.password = password;
        }

        public Builder schema(String value)
        {
            schema = value;
            return this;
        }

        public Builder poolSize(int value)
        {
            poolSize = value;
            return this;
        }

        public Builder maxAttempts(int value)
        {
            maxAttempts = value;
            return this;
        }

        public Builder maxPendingTasks(long value)
        {
            maxPendingTasks = value;
            return this;
        }

        public Builder retention(Duration value)
        {
            retention = value;
            return this;
        }

        public Builder retryFor(Duration value)
        {
            retryFor = value;
            return this;
        }

        public Builder connectTimeout(Duration value)
        {
            connectTimeout = value;
            return this;
        }

        public Builder maintenanceInterval(Duration value)
        {
            maintenanceInterval = value;
            return this;
        }

        public Builder clock(Clock value)
        {
            clock = value;
            return this;
        }

        public Options build()
        {
            return new Options(url, user, password, schema, poolSize, maxAttempts, maxPendingTasks, retention,
                    retryFor, connectTimeout, maintenanceInterval, clock);
        }

        public PostgresTaskStore open()
                throws IOException
        {
            return PostgresTaskStore.open(build());
        }
    }

    private final Options options;
    private final Clock clock;
    private final HikariDataSource pool;
    private final Retrying database;
    private final LogRows logs;
    private final ArtifactRows artifacts;
    private final ChangeNotifier changes = new ChangeNotifier();
    private final ChangeNotifier claimable = new ChangeNotifier();
    private final ChangeNotifier logWakeups = new ChangeNotifier();
    private final ChangeListeners listeners = new ChangeListeners();
    private final CancelWatches cancelWatches = new CancelWatches();
    private final TaskIds ids = new TaskIds();
    private final ScheduledExecutorService maintenance;
    private final Combiner<Resolution, Boolean> resolutions =
            new Combiner<>(Combiner.MAX_BATCH, Combiner.MAX_IN_FLIGHT, this::resolveBatch);
    private final Combiner<SavedSandbox, Boolean> sandboxes =
            new Combiner<>(Combiner.MAX_BATCH, Combiner.MAX_IN_FLIGHT, this::saveSandboxBatch);
    private final Combiner<NewTask, Submission> submits =
            new Combiner<>(Combiner.MAX_BATCH, Combiner.MAX_IN_FLIGHT, this::submitBatch);
    private Notifications notifications;
    private volatile boolean closed;
    private final Object pendingLock = new Object();
    private long pendingEstimate = -1;
    /**
     * The last claim that found nothing: the claimable generation it read first, and when it ran; guarded by itself.
     */
    private final ClaimMiss lastMiss = new ClaimMiss();
    private long pendingCountedAt;

    private PostgresTaskStore(Options options, HikariDataSource pool)
    {
        this.options = options;
        this.clock = options.clock();
        this.pool = pool;
        this.database = new Retrying(pool, options.retryFor());
        this.logs = new LogRows(database, clock, logWakeups);
        this.artifacts = new ArtifactRows(database, clock);
        this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "taskyard-pg-maintenance");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Connects, creates or migrates the schema and starts listening to the other nodes.
     *
     * @throws IOException the database cannot be reached (the message says where and why) or the schema cannot be
     *         migrated
     */
    public static PostgresTaskStore open(Options options)
            throws IOException
    {
        requireNonNull(options, "options is null");
        String where = options.url() + " as " + options.user();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(options.url());
        config.setUsername(options.user());
        config.setPassword(options.password());
        config.setSchema(options.schema());
        config.setMaximumPoolSize(options.poolSize());
        config.setConnectionTimeout(options.connectTimeout().toMillis());
        config.setValidationTimeout(Math.min(options.connectTimeout().toMillis(), 5_000));
        config.setPoolName("taskyard-pg");
        config.addDataSourceProperty("connectTimeout", Math.max(1, options.connectTimeout().toSeconds()));
        config.addDataSourceProperty("ApplicationName", "taskyard");
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        HikariDataSource pool;
        try {
            config.setInitializationFailTimeout(options.connectTimeout().toMillis());
            pool = new HikariDataSource(config);
        }
        catch (RuntimeException e) {
            throw new IOException("cannot connect to PostgreSQL at " + where + ": " + rootMessage(e), e);
        }
        PostgresTaskStore store = new PostgresTaskStore(options, pool);
        try {
            Flyway.configure()
                    .dataSource(pool)
                    .schemas(options.schema())
                    .defaultSchema(options.schema())
                    .createSchemas(true)
                    .locations("classpath:dev/taskyard/store/postgres/migration")
                    .table("taskyard_schema_history")
                    .load()
                    .migrate();
            Properties credentials = new Properties();
            credentials.setProperty("user", options.user());
            credentials.setProperty("password", options.password());
            credentials.setProperty("ApplicationName", "taskyard-listen");
            credentials.setProperty("connectTimeout", Long.toString(Math.max(1, options.connectTimeout().toSeconds())));
            credentials.setProperty("tcpKeepAlive", "true");
            store.notifications = new Notifications("taskyard_" + options.schema(), pool, options.url(),
                    credentials, store.new Events());
            store.maintain();
        }
        catch (SQLException | QueueException | RuntimeException e) {
            store.close();
            throw new IOException("cannot open the task store in PostgreSQL at " + where + ", schema "
                    + options.schema() + ": " + rootMessage(e), e);
        }
        long interval = options.maintenanceInterval().toMillis();
        store.maintenance.scheduleWithFixedDelay(store::maintainQuietly, interval, interval, TimeUnit.MILLISECONDS);
        LOG.info("task store opened in PostgreSQL at {}, schema {}", options.url(), options.schema());
        return store;
    }

    private static String rootMessage(Throwable e)
    {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }

    public Options options()
    {
        return options;
    }

    /** The combiners of concurrent writes by kind: resolve, saveSandbox, submit, closeLog (tests look at them). */
    Map<String, Combiner<?, ?>> combiners()
    {
        return Map.of("resolve", resolutions, "saveSandbox", sandboxes, "submit", submits, "closeLog", logs.closes());
    }

    /** What other nodes announced. */
    private final class Events
            implements Notifications.Handler
    {
        @Override
        public void event(char kind, String taskId)
        {
            switch (kind) {
                case SUBMITTED -> claimable.signal();
                case CANCELED -> {
                    fireCancelWatches(taskId);
                    logWakeups.signal();
                }
                case CHANGED -> {
                    changes.signal();
                    logWakeups.signal();
                    changed(taskId);
                }
                case LOG_GREW -> logWakeups.signal();
                default -> LOG.debug("unknown event {} for {}", kind, taskId);
            }
        }

        @Override
        public void resync()
        {
            claimable.signal();
            changes.signal();
            logWakeups.signal();
            for (String taskId : cancelWatches.taskIds()) {
                try {
                    Optional<TaskRecord> task = get(taskId);
                    if (task.isEmpty() || task.get().status() == TaskStatus.CANCELED) {
                        fireCancelWatches(taskId);
                    }
                }
                catch (QueueException e) {
                    LOG.debug("task {}: cannot re-check for a cancel: {}", taskId, e.getMessage());
                }
            }
            listeners.resynced();
        }
    }

    // ---------------------------------------------------------------- submit, read, list

    @Override
    public Submission submit(SubmitRequest request)
            throws QueueException
    {
        requireNonNull(request, "request is null");
        checkOpen();
        String payload = TaskRows.write(request.payload());
        Optional<String> key = request.idempotencyKey();
        Optional<String> hash = key.map(k -> CanonicalJson.sha256(request.payload()));
        if (key.isPresent()) {
            Optional<Submission> earlier =
                    read("look up idempotency key", connection -> earlierSubmission(connection, key.get(), hash.get()));
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        checkCapacity();
        long now = clock.millis();
        String id = ids.next(now);
        // with an idempotency key, a lost answer is harmless (the retry finds the task); without one, a retry after
        // the statement reached the database could store the task twice, so only failures to connect are retried.
        // Key-less submits made at the same time are combined into one statement (one synchronous commit)
        Submission submission;
        if (key.isEmpty()) {
            NewTask task = new NewTask(payload, request.deadline().map(Instant::toEpochMilli).orElse(null),
                    TaskRows.created(id, request.payload(), now));
            submission = unit("submit a task", () -> submits.run(task,
                    t -> database.singleWrite("submit a task", false, connection -> insertOne(connection, t))));
        }
        else {
            submission = singleWrite("submit a task", true, connection -> {
                try (PreparedStatement insert = connection.prepareStatement("""
                        INSERT INTO tasks (id, payload, status, created_at, attempts, progress, version, \
                        idempotency_key, payload_hash, deadline, cancel_requested)
                        VALUES (?, ?, 'PENDING', ?, 0, 0, 1, ?, ?, ?, FALSE)
                        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                        RETURNING id""")) {
                    insert.setString(1, id);
                    insert.setString(2, payload);
                    insert.setLong(3, now);
                    insert.setString(4, key.get());
                    insert.setString(5, hash.orElseThrow());
                    TaskRows.setMillis(insert, 6, request.deadline());
                    try (ResultSet rows = insert.executeQuery()) {
                        if (rows.next()) {
                            return new Submission(TaskRows.created(id, request.payload(), now), true);
                        }
                    }
                }
                // the same key committed meanwhile (by this or another node)
                return earlierSubmission(connection, key.get(), hash.orElseThrow())
                        .orElseThrow(() -> new SQLException("the idempotency key vanished"));
            });
        }
        if (submission.created()) {
            synchronized (pendingLock) {
                pendingEstimate++;
            }
            LOG.debug("task {}: submitted", submission.task().taskId());
            changes.signal();
            claimable.signalOne();
            notifications.send(SUBMITTED, null);
            changed(submission.task().taskId());
        }
        return submission;
    }

    /**
     * A key-less task to insert: its payload text and deadline (epoch milliseconds, null for none) with the record
     * the insert creates (id, payload, creation time), which its submitter gets back: the rows' own values, so the
     * statements return nothing to read back and parse.
     */
    private record NewTask(String payload, Long deadline, TaskRecord record)
    {
        String id()
        {
            return record.taskId();
        }

        long createdAt()
        {
            return record.createdAt().toEpochMilli();
        }
    }

    private static Submission insertOne(Connection connection, NewTask task)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO tasks (id, payload, status, created_at, attempts, progress, version, deadline, \
                cancel_requested)
                VALUES (?, ?, 'PENDING', ?, 0, 0, 1, ?, FALSE)""")) {
            insert.setString(1, task.id());
            insert.setString(2, task.payload());
            insert.setLong(3, task.createdAt());
            if (task.deadline() != null) {
                insert.setLong(4, task.deadline());
            }
            else {
                insert.setNull(4, Types.BIGINT);
            }
            insert.executeUpdate();
            return new Submission(task.record(), true);
        }
    }

    /**
     * Key-less submits made at the same time, as one {@code INSERT … SELECT … FROM unnest(…)} (one round trip, one
     * synchronous commit; no join, so its plan does not depend on the table's statistics). Not idempotent: retried
     * only when it never reached the database; a failure that is not the connection's (the statement rolled back
     * whole) makes every request run alone.
     */
    private List<Combiner.Result<Submission>> submitBatch(List<NewTask> tasks)
            throws Exception
    {
        int n = tasks.size();
        String[] ids = new String[n];
        String[] payloads = new String[n];
        Long[] created = new Long[n];
        Long[] deadlines = new Long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = tasks.get(i).id();
            payloads[i] = tasks.get(i).payload();
            created[i] = tasks.get(i).createdAt();
            deadlines[i] = tasks.get(i).deadline();
        }
        Optional<Set<String>> inserted =
                database.combinedWrite("submit " + n + " tasks", false, connection -> {
                Set<String> insertedIds = new HashSet<>();
                // Java arrays go in with setObject: pgjdbc sends String[], Long[] and Integer[] (nulls included) in
                // binary as varchar[], int8[] and int4[] (no java.sql.Array to build, no array text to escape); the
                // casts in the statement give the types it needs. The same in the other combined writes.
                try (PreparedStatement insert = connection.prepareStatement("""
                        INSERT INTO tasks (id, payload, status, created_at, attempts, progress, version, deadline, \
                        cancel_requested)
                        SELECT id, payload, 'PENDING', created_at, 0, 0, 1, deadline, FALSE
                        FROM unnest(?::varchar[], ?::text[], ?::bigint[], ?::bigint[]) AS n(id, payload, created_at, \
                        deadline)
                        RETURNING id""")) {
                    insert.setObject(1, ids);
                    insert.setObject(2, payloads);
                    insert.setObject(3, created);
                    insert.setObject(4, deadlines);
                    try (ResultSet rows = insert.executeQuery()) {
                        while (rows.next()) {
                            insertedIds.add(rows.getString(1));
                        }
                    }
                }
                return insertedIds;
            });
        if (inserted.isEmpty()) {
            return alone(n);
        }
        List<Combiner.Result<Submission>> results = new ArrayList<>(n);
        for (NewTask task : tasks) {
            if (!inserted.get().contains(task.id())) {
                throw new SQLException("the combined insert returned no row for task " + task.id());
            }
            results.add(Combiner.Result.done(new Submission(task.record(), true)));
        }
        return results;
    }

    private Optional<Submission> earlierSubmission(Connection connection, String key, String hash)
            throws SQLException, IdempotencyConflictException
    {
        try (PreparedStatement select =
                connection.prepareStatement("SELECT " + COLUMNS
                + ", payload_hash FROM tasks WHERE idempotency_key = ?")) {
            select.setString(1, key);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                if (!hash.equals(rows.getString("payload_hash"))) {
                    throw new IdempotencyConflictException("the idempotency key was used for task "
                            + rows.getString("id") + " with another payload");
                }
                return Optional.of(new Submission(TaskRows.record(rows), false));
            }
        }
    }

    /**
     * Refuses a submit when the store is full. The PENDING tasks of all nodes are counted at most once a second, and
     * exactly whenever this node's estimate reaches the limit.
     */
    private void checkCapacity()
            throws QueueException
    {
        long now = System.currentTimeMillis();
        boolean recount;
        synchronized (pendingLock) {
            recount = pendingEstimate < 0 || pendingEstimate >= options.maxPendingTasks() || now
                    - pendingCountedAt >= PENDING_RECOUNT_MILLIS;
        }
        if (recount) {
            long counted = read("count pending tasks", connection -> {
                try (PreparedStatement count =
                        connection.prepareStatement("SELECT COUNT(*) FROM tasks WHERE status = 'PENDING'");
                     ResultSet rows = count.executeQuery()) {
                    rows.next();
                    return rows.getLong(1);
                }
            });
            synchronized (pendingLock) {
                pendingEstimate = counted;
                pendingCountedAt = now;
            }
        }
        synchronized (pendingLock) {
            if (pendingEstimate >= options.maxPendingTasks()) {
                throw new QueueFullException("the store holds its maximum of "
                        + options.maxPendingTasks() + " pending tasks");
            }
        }
    }

    @Override
    public Optional<TaskRecord> get(String taskId)
            throws QueueException
    {
        requireNonNull(taskId, "taskId is null");
        checkOpen();
        return read("read task " + taskId, connection -> find(connection, taskId));
    }

    private static Optional<TaskRecord> find(Connection connection, String taskId)
            throws SQLException
    {
        return TaskRows.find(connection, taskId);
    }

    @Override
    public Optional<TaskRecord> awaitChange(String taskId, long knownVersion, Duration timeout)
            throws QueueException, InterruptedException
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(timeout, "timeout is null");
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            long generation = changes.generation();
            Optional<TaskRecord> task = get(taskId);
            long remaining = deadline - System.nanoTime();
            if (task.isEmpty() || task.get().version() != knownVersion || remaining <= 0) {
                return task;
            }
            changes.await(generation, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)));
        }
    }

    @Override
    public TaskPage list(Optional<TaskStatus> status, int pageSize, Optional<String> pageToken)
            throws QueueException
    {
        TaskPageQuery query = TaskPageQuery.of(status, pageSize, pageToken);
        checkOpen();
        return read("list tasks", query::read);
    }

    @Override
    public Map<TaskStatus, Long> countByStatus()
            throws QueueException
    {
        checkOpen();
        return read("count tasks", TaskRows::countByStatus);
    }

    // ---------------------------------------------------------------- listeners

    /**
     * {@inheritDoc}
     *
     * <p>A cancel through this instance reaches the listener on the cancelling thread after the commit; one through
     * another instance on the thread that receives the notification, usually within milliseconds (and after a lost
     * notification connection, when it is back).
     */
    @Override
    public Subscription onCancel(Lease lease, Runnable listener)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        requireNonNull(listener, "listener is null");
        checkOpen();
        CancelWatches.Watch watch = cancelWatches.register(lease.taskId(), listener);
        // the lease state only (no payload to read and parse): this runs once per run
        Optional<LeaseRows.LeaseRow> task =
                read("read task " + lease.taskId(), connection -> LeaseRows.find(connection, lease.taskId()));
        if (task.isEmpty() || task.get().status() == TaskStatus.CANCELED) {
            watch.fire();
        }
        return watch;
    }

    private void fireCancelWatches(String taskId)
    {
        cancelWatches.fire(taskId);
    }

    /**
     * {@inheritDoc} Changes through this instance are reported on the thread that made them, after the commit;
     * changes through other instances on the thread receiving their notifications.
     */
    @Override
    public boolean addChangeListener(TaskChangeListener listener)
    {
        listeners.add(listener);
        return true;
    }

    @Override
    public void removeChangeListener(TaskChangeListener listener)
    {
        listeners.remove(listener);
    }

    private void changed(String taskId)
    {
        listeners.changed(taskId);
    }

    /** Tells local listeners and waiters, and the other nodes, that a task changed. */
    private void announce(String taskId)
    {
        changes.signal();
        logWakeups.signal();
        changed(taskId);
        notifications.send(CHANGED, taskId);
    }

    // ---------------------------------------------------------------- queue

    @Override
    public List<Claim> claim(ClaimRequest request)
            throws QueueException, InterruptedException
    {
        requireNonNull(request, "request is null");
        long deadline = System.nanoTime() + request.maxWait().toNanos();
        while (true) {
            if (Thread.interrupted()) {
                throw new InterruptedException("claim interrupted");
            }
            checkOpen();
            long generation = claimable.generation();
            // a waiting claim skips the database while nothing became claimable since a claim found nothing, until
            // the next backstop poll; a claim that does not wait always looks
            long recheckIn = request.maxWait().isZero() ? 0 : lastMiss.recheckIn(generation);
            if (recheckIn <= 0) {
                List<Claim> claims = tryClaim(request);
                if (!claims.isEmpty()) {
                    return claims;
                }
                lastMiss.record(generation);
                recheckIn = TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return List.of();
            }
            claimable.await(generation, Math.min(remaining, recheckIn));
        }
    }

    /**
     * Remembers the last claim that found nothing, so that idle claimers (every worker slot polls) do not all query
     * the database while nothing is announced: a claim runs only when the claimable generation moved since (a submit
     * or hand-back on any node, a resync of the notifications) or {@value #POLL_MILLIS} ms passed (the backstop that
     * finds expired leases and lost hints). Thread-safe.
     */
    private static final class ClaimMiss
    {
        private long generation = -1;
        private long at;

        /** Nanoseconds until a claim is due at {@code current}; zero or less when it is due now. */
        synchronized long recheckIn(long current)
        {
            if (current != generation) {
                return 0;
            }
            return at + TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS) - System.nanoTime();
        }

        synchronized void record(long seen)
        {
            generation = seen;
            at = System.nanoTime();
        }
    }

    private List<Claim> tryClaim(ClaimRequest request)
            throws QueueException
    {
        long now = clock.millis();
        long leaseMillis = Math.max(1, request.leaseDuration().toMillis());
        long expiry = now + leaseMillis;
        String tokenPrefix = UUID.randomUUID().toString().replace("-", "") + ".";
        record Claimed(Claim claim, long createdAt) {}
        record Outcome(List<Claimed> claimed, List<String> crashed) {}
        Outcome outcome = singleWrite("claim tasks", true, connection -> {
            List<String> crashed = new ArrayList<>();
            List<Claimed> claimed = new ArrayList<>();
            // one statement (one round trip): fail the crashed tasks, lock both candidate sets with SKIP LOCKED (so
            // concurrent claimers on any node skip each other's rows; a row whose lease was renewed or resolved
            // meanwhile no longer matches once locked), hand them out, and discard what a handed-back run of the same
            // attempt left behind (a log its worker closed late): the new run starts empty. It commits without waiting
            // for the write-ahead log flush (synchronous_commit off for its own transaction): a claim that a database
            // crash forgets leaves the task PENDING, so it runs again (runs are at-least-once), and the run's
            // resolution, a synchronous commit, makes the claim durable before itself (the log is flushed in order)
            try (PreparedStatement update = connection.prepareStatement("""
                    WITH crashed AS (%s),
                         pending AS (SELECT id, created_at FROM tasks WHERE status = 'PENDING'
                                     ORDER BY created_at, id LIMIT ? FOR UPDATE SKIP LOCKED),
                         expired AS (SELECT id, created_at FROM tasks \
                    WHERE status = 'RUNNING' AND lease_expires_at <= ? AND attempts < ?
                                     ORDER BY lease_expires_at LIMIT ? FOR UPDATE SKIP LOCKED),
                         chosen AS (SELECT id FROM (SELECT * FROM pending UNION ALL SELECT * FROM expired) AS candidates
                                    ORDER BY created_at, id LIMIT ?),
                         claimed AS (UPDATE tasks t
                                     SET status = 'RUNNING', attempts = t.attempts + 1, lease_token = ? || t.id, \
                    lease_expires_at = ?,
                                         lease_worker = ?, lease_duration_ms = ?, started_at = ?, progress = 0, \
                    version = t.version + 1,
                                         sandbox_engine = NULL, sandbox_data = NULL
                                     FROM chosen WHERE t.id = chosen.id
                                     RETURNING t.id, t.payload, t.deadline, t.attempts, t.lease_token, t.created_at),
                         old_logs AS (DELETE FROM task_logs l USING claimed c WHERE l.task_id = c.id \
                    AND l.run_id = (c.attempts - 1)::text),
                         old_artifacts AS (DELETE FROM artifacts a USING claimed c WHERE a.task_id = c.id \
                    AND a.run_id = (c.attempts - 1)::text),
                         async AS (SELECT set_config('synchronous_commit', 'off', TRUE))
                    SELECT TRUE AS handed_out, id, payload, deadline, attempts, lease_token, created_at
                    FROM claimed, async
                    UNION ALL SELECT FALSE, id, NULL, NULL, attempts, NULL, NULL FROM crashed""".formatted(CRASHED))) {
                int index = setCrashed(update, now);
                update.setInt(index++, request.max());
                update.setLong(index++, now);
                update.setInt(index++, options.maxAttempts());
                update.setInt(index++, request.max());
                update.setInt(index++, request.max());
                update.setString(index++, tokenPrefix);
                update.setLong(index++, expiry);
                update.setString(index++, holder(request.worker()));
                update.setLong(index++, leaseMillis);
                update.setLong(index, now);
                try (ResultSet rows = update.executeQuery()) {
                    while (rows.next()) {
                        String id = rows.getString("id");
                        if (!rows.getBoolean("handed_out")) {
                            crashed.add(crashedTask(id, rows.getInt("attempts")));
                            continue;
                        }
                        claimed.add(new Claimed(LeaseRows.claim(rows, expiry), rows.getLong("created_at")));
                    }
                }
            }
            return new Outcome(claimed, crashed);
        });
        outcome.crashed().forEach(this::announce);
        if (outcome.claimed().isEmpty()) {
            return List.of();
        }
        List<Claimed> claimed = new ArrayList<>(outcome.claimed());
        claimed.sort(Comparator.comparingLong(Claimed::createdAt).thenComparing(c -> c.claim().task().taskId()));
        synchronized (pendingLock) {
            pendingEstimate = Math.max(0, pendingEstimate - claimed.size());
        }
        for (Claimed c : claimed) {
            LOG.debug("task {}: claimed as attempt {} by {}", c.claim().task().taskId(), c.claim().lease().attempt(),
                    request.worker().workerId());
            announce(c.claim().task().taskId());
        }
        return claimed.stream().map(Claimed::claim).toList();
    }

    /** How a lease names the worker holding it: {@code group/id}. */
    private static String holder(WorkerIdentity worker)
    {
        return worker.workerGroup() + "/" + worker.workerId();
    }

    /**
     * {@inheritDoc}
     *
     * <p>One {@code UPDATE … WHERE id = ? AND lease_token = ? AND status || '' = 'RUNNING'} stores the handle in the
     * task's row, with auto-commit (one round trip), committed without waiting for the flush of the write-ahead
     * log; handles saved at the same time by other threads share one call of {@code taskyard_save_sandboxes}.
     */
    @Override
    public boolean saveSandbox(Lease lease, SandboxHandle handle)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        requireNonNull(handle, "handle is null");
        checkOpen();
        // one write (the read that explains a refusal changes nothing): auto-commit, one round trip, without waiting
        // for the flush (a handle that a database crash forgets leaves a run that cannot be re-attached after a
        // restart of its node: it is handed back and runs again, as a run that never saved one)
        String what = "save the sandbox handle of task " + lease.taskId();
        unit(what, () -> sandboxes.run(new SavedSandbox(lease, handle), r -> database.singleWrite(what, true,
                connection -> {
                    try (PreparedStatement update = connection.prepareStatement(SAVE_SANDBOX)) {
                        update.setString(1, r.handle().engine());
                        update.setString(2, r.handle().data());
                        update.setString(3, r.lease().taskId());
                        update.setString(4, r.lease().token());
                        if (update.executeUpdate() == 0) {
                            throw LeaseRows.lost(LeaseRows.find(connection, r.lease().taskId()), r.lease());
                        }
                    }
                    return true;
                })));
        LOG.debug("task {}: sandbox handle of attempt {} saved", lease.taskId(), lease.attempt());
        return true;
    }

    private record SavedSandbox(Lease lease, SandboxHandle handle)
    {
    }

    /**
     * Sandbox handles saved at the same time, as one call of {@code taskyard_save_sandboxes} (one round trip, one
     * commit without waiting for the flush). A request whose row was not updated (lost lease) runs alone, which
     * refuses it.
     */
    private List<Combiner.Result<Boolean>> saveSandboxBatch(List<SavedSandbox> requests)
            throws Exception
    {
        Integer[] order = byTaskId(requests, r -> r.lease().taskId());
        int n = order.length;
        String[] ids = new String[n];
        String[] tokens = new String[n];
        String[] engines = new String[n];
        String[] data = new String[n];
        for (int i = 0; i < n; i++) {
            SavedSandbox r = requests.get(order[i]);
            ids[i] = r.lease().taskId();
            tokens[i] = r.lease().token();
            engines[i] = r.handle().engine();
            data[i] = r.handle().data();
        }
        return combined("save " + n + " sandbox handles", n, order, connection -> {
            try (PreparedStatement call = connection.prepareStatement(
                    "SELECT taskyard_save_sandboxes(?::varchar[], ?::varchar[], ?::varchar[], ?::text[])")) {
                call.setObject(1, ids);
                call.setObject(2, tokens);
                call.setObject(3, engines);
                call.setObject(4, data);
                return updatedFlags(call);
            }
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>In one transaction: the worker's runs without a handle are handed back as {@link #release} does, and one
     * statement gives every RUNNING run of {@code worker} with a saved handle a new token and expiry and reads the size
     * of its log ({@code task_logs.size}). Repeating it after a lost answer reclaims the same runs again.
     */
    @Override
    public List<ReclaimedRun> reclaim(WorkerIdentity worker, Duration leaseDuration)
            throws QueueException
    {
        requireNonNull(worker, "worker is null");
        requireNonNull(leaseDuration, "leaseDuration is null");
        checkOpen();
        long leaseMillis = Math.max(1, leaseDuration.toMillis());
        String tokenPrefix = UUID.randomUUID().toString().replace("-", "") + ".";
        List<Lease> handedBack = new ArrayList<>();
        List<ReclaimedRun> reclaimed = call("reclaim the runs of " + holder(worker), true, connection -> {
            long expiry = clock.millis() + leaseMillis;
            handedBack.clear();
            // the runs whose sandbox handle was never saved cannot be recovered: handed back at once, attempt reused
            handedBack.addAll(LeaseRows.handBackUnsaved(connection, holder(worker), Instant.ofEpochMilli(expiry)));
            if (!handedBack.isEmpty()) {
                discardRuns(connection, handedBack);
            }
            return LeaseRows.reclaim(connection, """
                    WITH reclaimed AS (%s)
                    SELECT r.*, COALESCE(l.size, 0) AS log_size
                    FROM reclaimed r LEFT JOIN task_logs l ON l.task_id = r.id \
                    AND l.run_id = (r.attempts - 1)::text""".formatted(LeaseRows.RECLAIM), holder(worker), tokenPrefix,
                    expiry, leaseMillis, (run, rows) -> new ReclaimedRun(run.claim(), run.handle(),
                            rows.getLong("log_size")));
        });
        for (Lease lease : handedBack) {
            LOG.info("task {}: attempt {} of {} had no saved sandbox; handed back, it runs again", lease.taskId(),
                    lease.attempt(), holder(worker));
            claimable.signalOne();
            announce(lease.taskId());
        }
        if (!handedBack.isEmpty()) {
            notifications.send(SUBMITTED, null);
        }
        for (ReclaimedRun run : reclaimed) {
            Lease lease = run.claim().lease();
            LOG.info("task {}: attempt {} reclaimed by {} with its sandbox handle (log at {} bytes)", lease.taskId(),
                    lease.attempt(), holder(worker), run.logOffset());
            announce(lease.taskId());
        }
        return reclaimed;
    }

    /** Sets the parameters of {@link #CRASHED} from index 1; returns the next index. */
    private int setCrashed(PreparedStatement statement, long now)
            throws SQLException
    {
        statement.setLong(1, now);
        statement.setString(2, TaskEndReason.WORKER_CRASH.id());
        statement.setString(3, TaskRows.title(TaskEndReason.WORKER_CRASH.id()));
        statement.setString(4, "the lease of the last allowed attempt (" + options.maxAttempts()
                + ") expired: the worker crashed or lost contact");
        statement.setLong(5, now);
        statement.setInt(6, options.maxAttempts());
        return 7;
    }

    private static String crashedTask(String taskId, int attempts)
    {
        LOG.warn("task {}: the lease of attempt {} expired and no attempts are left; the task failed with {}", taskId,
                attempts - 1, TaskEndReason.WORKER_CRASH.id());
        return taskId;
    }

    /** Fails the RUNNING tasks whose lease expired after their last allowed attempt (skipping rows others hold). */
    private List<String> failCrashed(Connection connection, long now)
            throws SQLException
    {
        List<String> failed = new ArrayList<>();
        try (PreparedStatement update = connection.prepareStatement(CRASHED)) {
            setCrashed(update, now);
            try (ResultSet rows = update.executeQuery()) {
                while (rows.next()) {
                    failed.add(crashedTask(rows.getString(1), rows.getInt(2)));
                }
            }
        }
        return failed;
    }

    /** Deletes the logs and artifacts of the leases' runs. */
    private static void discardRuns(Connection connection, List<Lease> leases)
            throws SQLException
    {
        String[] taskIds = leases.stream().map(Lease::taskId).toArray(String[]::new);
        String[] runIds = leases.stream().map(Lease::runId).toArray(String[]::new);
        for (String table : List.of("task_logs", "artifacts")) {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table
                    + " t USING unnest(?::varchar[], ?::varchar[]) AS r(task_id, run_id) "
                    + "WHERE t.task_id = r.task_id AND t.run_id = r.run_id")) {
                Array tasks = connection.createArrayOf("varchar", taskIds);
                Array runs = connection.createArrayOf("varchar", runIds);
                delete.setArray(1, tasks);
                delete.setArray(2, runs);
                delete.executeUpdate();
            }
        }
    }

    @Override
    public Lease renew(Lease lease)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        checkOpen();
        return singleWrite("renew the lease of task " + lease.taskId(), true, connection -> {
            long now = clock.millis();
            try (PreparedStatement update = connection.prepareStatement(RENEW)) {
                update.setLong(1, now);
                update.setString(2, lease.taskId());
                update.setString(3, lease.token());
                update.setLong(4, now);
                try (ResultSet rows = update.executeQuery()) {
                    if (rows.next()) {
                        return new Lease(lease.taskId(), lease.attempt(), lease.token(),
                                Instant.ofEpochMilli(rows.getLong(1)));
                    }
                }
            }
            throw LeaseRows.lost(LeaseRows.find(connection, lease.taskId()), lease);
        });
    }

    @Override
    public void reportProgress(Lease lease, int percent)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        checkOpen();
        int clamped = Math.max(0, Math.min(100, percent));
        singleWrite("report the progress of task " + lease.taskId(), true, connection -> {
            try (PreparedStatement update = connection.prepareStatement(PROGRESS)) {
                update.setInt(1, clamped);
                update.setString(2, lease.taskId());
                update.setString(3, lease.token());
                if (update.executeUpdate() == 0) {
                    throw LeaseRows.lost(LeaseRows.find(connection, lease.taskId()), lease);
                }
            }
            return null;
        });
        announce(lease.taskId());
    }

    @Override
    public void resolve(Lease lease, TaskResolution resolution)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        requireNonNull(resolution, "resolution is null");
        checkOpen();
        TaskStatus status;
        String reason;
        if (resolution.status() == TaskResolution.Status.COMPLETED) {
            status = TaskStatus.COMPLETED;
            reason = null;
        }
        else if (resolution.status() == TaskResolution.Status.FAILED) {
            status = TaskStatus.FAILED;
            reason = resolution.failure().orElseThrow().id();
        }
        else {
            ExceptionReason exception = resolution.reason().orElseThrow();
            status = exception == ExceptionReason.CANCELED ? TaskStatus.CANCELED : TaskStatus.FAILED;
            reason = exception.id();
        }
        String result = resolution.result().map(TaskRows::write).orElse(null);
        Resolution request = new Resolution(lease, status.name(), clock.millis(), result, reason,
                reason == null ? null : TaskRows.title(reason),
                reason == null ? null : TaskRows.detail(lease, resolution),
                resolution.exitCode().isPresent() ? resolution.exitCode().getAsInt() : null);
        String what = "resolve task " + lease.taskId();
        // idempotent per lease: a retry after a lost answer finds the task resolved with this token and changes nothing
        boolean changed = unit(what, () -> resolutions.run(request,
                r -> database.singleWrite(what, true, connection -> resolveOne(connection, r))));
        if (changed) {
            LOG.debug("task {}: attempt {} resolved as {}", lease.taskId(), lease.attempt(), resolution);
            announce(lease.taskId());
        }
    }

    /** A resolution as stored: the values of the task's columns. */
    private record Resolution(Lease lease, String status, long completedAt, String result, String reason,
            String title, String detail, Integer exitCode)
    {
    }

    /**
     * Resolves one task: true when it changed, false when this lease resolved it before (a retry after a lost
     * answer).
     *
     * @throws dev.taskyard.worker.LeaseLostException the lease is not the current one
     */
    private static boolean resolveOne(Connection connection, Resolution r)
            throws SQLException, QueueException
    {
        // an expired lease that nobody claimed since is still the current one: its resolution is accepted
        try (PreparedStatement update = connection.prepareStatement(RESOLVE)) {
            update.setString(1, r.status());
            update.setLong(2, r.completedAt());
            update.setString(3, r.result());
            update.setString(4, r.reason());
            update.setString(5, r.title());
            update.setString(6, r.detail());
            update.setString(7, r.lease().token());
            update.setString(8, r.status());
            if (r.exitCode() != null) {
                update.setInt(9, r.exitCode());
            }
            else {
                update.setNull(9, Types.INTEGER);
            }
            update.setString(10, r.lease().taskId());
            update.setString(11, r.lease().token());
            if (update.executeUpdate() == 1) {
                return true;
            }
        }
        Optional<LeaseRows.LeaseRow> row = LeaseRows.find(connection, r.lease().taskId());
        if (row.isPresent() && row.get().status().isTerminal() && r.lease().token().equals(row.get().resolvedToken())) {
            return false; // the same lease resolved before: the answer was lost, nothing changes
        }
        throw LeaseRows.lost(row, r.lease());
    }

    /**
     * Resolutions made at the same time, as one call of {@code taskyard_resolve} (one round trip, one synchronous
     * commit). A request whose row was not updated (lost lease, or resolved before by the same lease) runs alone,
     * which explains it; a failure of the batch that is not the connection's makes every request run alone.
     */
    private List<Combiner.Result<Boolean>> resolveBatch(List<Resolution> requests)
            throws Exception
    {
        Integer[] order = byTaskId(requests, r -> r.lease().taskId());
        int n = order.length;
        String[] ids = new String[n];
        String[] tokens = new String[n];
        String[] statuses = new String[n];
        Long[] completed = new Long[n];
        String[] results = new String[n];
        String[] reasons = new String[n];
        String[] titles = new String[n];
        String[] details = new String[n];
        Integer[] exitCodes = new Integer[n];
        for (int i = 0; i < n; i++) {
            Resolution r = requests.get(order[i]);
            ids[i] = r.lease().taskId();
            tokens[i] = r.lease().token();
            statuses[i] = r.status();
            completed[i] = r.completedAt();
            results[i] = r.result();
            reasons[i] = r.reason();
            titles[i] = r.title();
            details[i] = r.detail();
            exitCodes[i] = r.exitCode();
        }
        return combined("resolve " + n + " tasks", requests.size(), order, connection -> {
            try (PreparedStatement call = connection.prepareStatement(
                    "SELECT taskyard_resolve(?::varchar[], ?::varchar[], ?::varchar[], ?::bigint[], ?::text[], "
                            + "?::varchar[], ?::text[], ?::text[], ?::integer[])")) {
                call.setObject(1, ids);
                call.setObject(2, tokens);
                call.setObject(3, statuses);
                call.setObject(4, completed);
                call.setObject(5, results);
                call.setObject(6, reasons);
                call.setObject(7, titles);
                call.setObject(8, details);
                call.setObject(9, exitCodes);
                return updatedFlags(call);
            }
        });
    }

    /** The indexes of {@code requests} ordered by task id (the lock order of every combined write). */
    private static <R> Integer[] byTaskId(List<R> requests, Function<R, String> taskId)
    {
        Integer[] order = new Integer[requests.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(i -> taskId.apply(requests.get(i))));
        return order;
    }

    /** Reads the BOOLEAN[] a combined-write function returns. */
    private static boolean[] updatedFlags(PreparedStatement call)
            throws SQLException
    {
        try (ResultSet rows = call.executeQuery()) {
            rows.next();
            Boolean[] flags = (Boolean[]) rows.getArray(1).getArray();
            boolean[] updated = new boolean[flags.length];
            for (int i = 0; i < flags.length; i++) {
                updated[i] = Boolean.TRUE.equals(flags[i]);
            }
            return updated;
        }
    }

    /**
     * Runs a combined write (one statement, auto-commit, retried while the database is unreachable since every
     * combined function is idempotent) that returns, in {@code order}, whether each request's row was updated; maps
     * them back to the requests: done (true) or alone. A failure that is not the connection's makes every request
     * run alone (one of them may be the cause; the single statement tells which).
     */
    private List<Combiner.Result<Boolean>> combined(String what, int size, Integer[] order,
            Retrying.Work<boolean[]> work)
            throws Exception
    {
        Optional<boolean[]> written = database.combinedWrite(what, true, work);
        if (written.isEmpty()) {
            return alone(size);
        }
        boolean[] updated = written.get();
        if (updated.length != order.length) {
            throw new SQLException(what + ": " + updated.length + " flags for " + order.length + " requests");
        }
        List<Combiner.Result<Boolean>> results = new ArrayList<>(alone(size));
        for (int i = 0; i < order.length; i++) {
            if (updated[i]) {
                results.set(order[i], Combiner.Result.done(true));
            }
        }
        return results;
    }

    private static <O> List<Combiner.Result<O>> alone(int size)
    {
        return Collections.nCopies(size, Combiner.Result.alone());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The task's {@code attempts} count goes back by one and its lease, start time and progress are cleared, in one
     * transaction with the removal of the run's log and artifacts.
     */
    @Override
    public boolean release(Lease lease)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        checkOpen();
        boolean released = call("hand back the lease of task " + lease.taskId(), true, connection -> {
            try (PreparedStatement update = connection.prepareStatement(RELEASE)) {
                update.setString(1, lease.taskId());
                update.setString(2, lease.token());
                if (update.executeUpdate() == 0) {
                    return false;
                }
            }
            discardRuns(connection, List.of(lease));
            return true;
        });
        if (!released) {
            LOG.debug("task {}: lease of attempt {} not handed back: it is no longer the current one",
                    lease.taskId(), lease.attempt());
            return false;
        }
        LOG.info("task {}: attempt {} handed back unfinished; the task is pending again",
                lease.taskId(), lease.attempt());
        claimable.signalOne();
        notifications.send(SUBMITTED, null);
        announce(lease.taskId());
        return true;
    }

    @Override
    public Optional<TaskRecord> cancel(String taskId, String reason)
            throws QueueException
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(reason, "reason is null");
        checkOpen();
        record Outcome(Optional<TaskRecord> task, boolean cancelled) {}
        Outcome outcome = call("cancel task " + taskId, true, connection -> {
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE tasks
                    SET status = 'CANCELED', cancel_requested = TRUE, completed_at = ?, error_reason = ?, \
                    error_title = ?, error_detail = ?,
                        version = version + 1
                    WHERE id = ? AND status IN ('PENDING', 'RUNNING')""")) {
                update.setLong(1, clock.millis());
                update.setString(2, ExceptionReason.CANCELED.id());
                update.setString(3, TaskRows.title(ExceptionReason.CANCELED.id()));
                update.setString(4, reason);
                update.setString(5, taskId);
                boolean cancelled = update.executeUpdate() == 1;
                return new Outcome(find(connection, taskId), cancelled);
            }
        });
        if (outcome.cancelled()) {
            LOG.info("task {}: cancelled ({})", taskId, reason);
            notifications.send(CANCELED, taskId);
            announce(taskId);
            fireCancelWatches(taskId);
        }
        return outcome.task();
    }

    // ---------------------------------------------------------------- delete and retention

    @Override
    public boolean delete(String taskId)
            throws QueueException
    {
        requireNonNull(taskId, "taskId is null");
        checkOpen();
        boolean deleted = call("delete task " + taskId, true, connection -> {
            try (PreparedStatement delete =
                    connection.prepareStatement("DELETE FROM tasks WHERE id = ? AND status IN " + TERMINAL)) {
                delete.setString(1, taskId);
                if (delete.executeUpdate() == 1) {
                    return true;
                }
            }
            Optional<TaskRecord> task = find(connection, taskId);
            if (task.isPresent()) {
                throw new IllegalStateException("task " + taskId + " is " + task.get().status()
                        + "; only ended tasks can be deleted");
            }
            return false;
        });
        if (deleted) {
            LOG.info("task {}: deleted", taskId);
            announce(taskId);
        }
        return deleted;
    }

    /**
     * Deletes the terminal tasks that completed longer than the retention period ago, with their logs and artifacts
     * (in batches of {@value #PURGE_BATCH}). Runs periodically on every node; callable at any time.
     *
     * @return how many tasks were deleted
     */
    public int purgeExpired()
            throws QueueException
    {
        checkOpen();
        long cutoff = clock.millis() - options.retention().toMillis();
        int total = 0;
        while (true) {
            List<String> purged = call("purge expired tasks", true, connection -> {
                List<String> deleted = new ArrayList<>();
                try (PreparedStatement delete = connection.prepareStatement("""
                        DELETE FROM tasks WHERE id IN (SELECT id FROM tasks \
                        WHERE status IN ('COMPLETED', 'FAILED', 'CANCELED') AND completed_at < ?
                                                       ORDER BY completed_at LIMIT ? FOR UPDATE SKIP LOCKED)
                        RETURNING id""")) {
                    delete.setLong(1, cutoff);
                    delete.setInt(2, PURGE_BATCH);
                    try (ResultSet rows = delete.executeQuery()) {
                        while (rows.next()) {
                            deleted.add(rows.getString(1));
                        }
                    }
                }
                return deleted;
            });
            purged.forEach(this::changed);
            total += purged.size();
            if (purged.size() < PURGE_BATCH) {
                break;
            }
        }
        if (total > 0) {
            LOG.info("purged {} tasks older than {}", total, options.retention());
            changes.signal();
        }
        return total;
    }

    /** Fails the RUNNING tasks whose last allowed attempt's lease expired (claims do this too) and purges expired
     * tasks. */
    public void maintain()
            throws QueueException
    {
        checkOpen();
        List<String> crashed = call("fail crashed tasks", true, connection -> failCrashed(connection, clock.millis()));
        crashed.forEach(this::announce);
        purgeExpired();
    }

    private void maintainQuietly()
    {
        try {
            if (!closed) {
                maintain();
            }
        }
        catch (QueueException | RuntimeException e) {
            if (!closed) {
                LOG.warn("store maintenance failed; retrying later: {}", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- logs and artifacts

    @Override
    public void appendLog(String taskId, String runId, byte[] bytes, int offset, int length)
            throws IOException
    {
        checkIds(taskId, runId);
        checkOpenIo();
        logs.append(taskId, runId, bytes, offset, length);
        notifications.send(LOG_GREW, taskId);
    }

    @Override
    public void closeLog(String taskId, String runId)
            throws IOException
    {
        checkIds(taskId, runId);
        checkOpenIo();
        logs.close(taskId, runId);
        notifications.send(LOG_GREW, taskId);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The latest run is the one of the task's current attempt. The stream ends when that log is closed, the task
     * is terminal, its lease expired or a later attempt started, wherever these happen.
     *
     * @throws NoSuchFileException there is no such task
     */
    @Override
    public InputStream openLog(String taskId, long offset)
            throws IOException
    {
        requireNonNull(taskId, "taskId is null");
        checkOpenIo();
        Optional<TaskRecord> task;
        try {
            task = get(taskId);
        }
        catch (QueueException e) {
            throw new IOException("cannot read task " + taskId, e);
        }
        if (task.isEmpty()) {
            throw new NoSuchFileException("task " + taskId, null, "no such task");
        }
        return logs.open(taskId, Integer.toString(task.get().attempt()), offset);
    }

    @Override
    public Artifact put(String taskId, String runId, String name, InputStream content)
            throws IOException
    {
        checkOpenIo();
        return artifacts.put(taskId, runId, name, content);
    }

    @Override
    public Artifact putError(String taskId, String runId, String name, Artifact.ArtifactError error)
            throws IOException
    {
        checkOpenIo();
        return artifacts.putError(taskId, runId, name, error);
    }

    @Override
    public List<Artifact> list(String taskId, String runId)
            throws IOException
    {
        checkOpenIo();
        return artifacts.list(taskId, runId);
    }

    @Override
    public InputStream open(String taskId, String runId, String name)
            throws IOException
    {
        checkOpenIo();
        return artifacts.open(taskId, runId, name);
    }

    /** Stops maintenance and notifications and closes the pool. Idempotent. */
    @Override
    public void close()
    {
        if (closed) {
            return;
        }
        closed = true;
        maintenance.shutdownNow();
        try {
            maintenance.awaitTermination(10, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (notifications != null) {
            notifications.close();
        }
        changes.signal();
        claimable.signal();
        logWakeups.signal();
        pool.close();
        LOG.info("task store in PostgreSQL at {}, schema {} closed", options.url(), options.schema());
    }

    // ---------------------------------------------------------------- helpers

    /** Runs reads (no writes) with auto-commit: see {@link Retrying#singleWrite}. */
    private <T> T read(String what, Retrying.Work<T> work)
            throws QueueException
    {
        return singleWrite(what, true, work);
    }

    /** Runs a unit of work in one transaction. */
    private <T> T call(String what, boolean idempotent, Retrying.Work<T> work)
            throws QueueException
    {
        return unit(what, () -> database.transaction(what, idempotent, work));
    }

    /** Runs a unit that writes with one statement at most, with auto-commit: see {@link Retrying#singleWrite}. */
    private <T> T singleWrite(String what, boolean idempotent, Retrying.Work<T> work)
            throws QueueException
    {
        return unit(what, () -> database.singleWrite(what, idempotent, work));
    }

    private interface Unit<T>
    {
        T run()
                throws Exception;
    }

    private static <T> T unit(String what, Unit<T> unit)
            throws QueueException
    {
        try {
            return unit.run();
        }
        catch (QueueException | RuntimeException e) {
            throw e;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QueueException("interrupted: " + what, e);
        }
        catch (Exception e) {
            throw new QueueException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    private void checkOpen()
            throws QueueException
    {
        if (closed) {
            throw new QueueException("the task store is closed");
        }
    }

    private void checkOpenIo()
            throws IOException
    {
        if (closed) {
            throw new IOException("the task store is closed");
        }
    }

    private static void checkIds(String taskId, String runId)
    {
        if (taskId == null || !ArtifactStore.ID.matcher(taskId).matches() || runId == null
                || !ArtifactStore.ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("invalid task or run id: " + taskId + "/" + runId);
        }
    }
}
