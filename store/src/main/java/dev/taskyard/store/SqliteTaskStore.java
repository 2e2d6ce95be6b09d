package dev.taskyard.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.store.internal.ArtifactFiles;
import dev.taskyard.store.internal.CanonicalJson;
import dev.taskyard.store.internal.CancelWatches;
import dev.taskyard.store.internal.ChangeListeners;
import dev.taskyard.store.internal.ChangeNotifier;
import dev.taskyard.store.internal.Database;
import dev.taskyard.store.internal.LeaseRows;
import dev.taskyard.store.internal.LeaseRows.LeaseRow;
import dev.taskyard.store.internal.LogFiles;
import dev.taskyard.store.internal.Schema;
import dev.taskyard.store.internal.TaskIds;
import dev.taskyard.store.internal.TaskPageQuery;
import dev.taskyard.store.internal.TaskRows;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.ReclaimedRun;
import dev.taskyard.worker.TaskResolution;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A {@link TaskStore} in a data folder: {@code taskyard.db} (SQLite in WAL mode, {@code synchronous=FULL} by default,
 * so a task is on disk when {@link #submit} returns), run logs under {@code logs/} and artifact contents under
 * {@code artifacts/}, both indexed in the database.
 *
 * <p>Threading: thread-safe. Changes run on a single writer thread and connection, concurrent ones committed together
 * (group commit, see {@link Database}; {@code BEGIN IMMEDIATE} against other processes), each returning once it is
 * durable; reads use a small pool of reader connections. Waiting
 * claims are woken in-process when a task becomes claimable (one claimer per submitted or released task),
 * {@link #awaitChange} by every committed change; both re-check every {@value #POLL_MILLIS} ms so that changes by
 * other processes and lease expiries are seen too.
 *
 * <p>Lifecycle: {@link #open} creates the folder and the tables, purges expired terminal tasks and starts a daemon
 * maintenance thread (retention purge, failing tasks whose last attempt's lease expired). {@link #close} stops it and
 * closes the database; the caller owns the store and must close it.
 *
 * <p>Attempts: a task is handed out at most {@link Options#maxAttempts()} times. The lease of the n-th hand-out has
 * attempt n-1 (run id {@code "n-1"}). A RUNNING task whose lease expired is handed out again; if it was already handed
 * out {@code maxAttempts} times it becomes FAILED with reason {@code worker-crash} instead.
 */
public final class SqliteTaskStore
        implements TaskStore
{
    /** The error reason of a task whose worker stopped renewing its last allowed attempt. */
    public static final String WORKER_CRASH = TaskEndReason.WORKER_CRASH.id();
    /** The error reason of a task whose run failed. */
    public static final String TASK_FAILED = TaskEndReason.TASK_FAILED.id();

    private static final Logger LOG = LoggerFactory.getLogger(SqliteTaskStore.class);
    private static final long POLL_MILLIS = 250;
    private static final int RECOUNT_EVERY = 1000;
    private static final int PURGE_BATCH = 500;
    private static final String COLUMNS = TaskRows.COLUMNS;
    private static final String TERMINAL = "('COMPLETED', 'FAILED', 'CANCELED')";

    /**
     * How a store is opened.
     *
     * @param dataFolder holds the database, logs and artifacts; created if missing
     * @param maxAttempts how often a task is handed out at most (expired leases included)
     * @param maxPendingTasks submit fails with {@link QueueFullException} when this many tasks are PENDING
     * @param retention terminal tasks whose completion is older than this are deleted
     * @param synchronousFull {@code synchronous=FULL} (durable on power loss) or NORMAL (the last commits may be lost
     *        on power loss, never on a process crash)
     * @param busyTimeout how long a transaction waits for another process holding the database
     * @param maintenanceInterval how often the retention purge runs
     * @param clock decides creation times, lease expiry and retention
     */
    public record Options(Path dataFolder, int maxAttempts, long maxPendingTasks, Duration retention,
            boolean synchronousFull,
                          Duration busyTimeout, Duration maintenanceInterval, Clock clock)
    {
        public Options
        {
            requireNonNull(dataFolder, "dataFolder is null");
            requireNonNull(retention, "retention is null");
            requireNonNull(busyTimeout, "busyTimeout is null");
            requireNonNull(maintenanceInterval, "maintenanceInterval is null");
            requireNonNull(clock, "clock is null");
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
            if (maxPendingTasks < 1) {
                throw new IllegalArgumentException("maxPendingTasks must be at least 1");
            }
            if (retention.isNegative() || maintenanceInterval.isNegative() || maintenanceInterval.isZero()
                    || busyTimeout.isNegative()) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }

        /** Defaults: 3 attempts, 100,000 pending tasks, 7 days of retention, synchronous FULL, 5 s busy timeout. */
        public static Builder builder(Path dataFolder)
        {
            return new Builder(dataFolder);
        }
    }

    /** Builds {@link Options}. Not thread-safe. */
    public static final class Builder
    {
        private final Path dataFolder;
        private int maxAttempts = 3;
        private long maxPendingTasks = 100_000;
        private Duration retention = Duration.ofDays(7);
        private boolean synchronousFull = true;
        private Duration busyTimeout = Duration.ofSeconds(5);
        private Duration maintenanceInterval = Duration.ofMinutes(1);
        private Clock clock = Clock.systemUTC();

        private Builder(Path dataFolder)
        {
            this.dataFolder = requireNonNull(dataFolder, "dataFolder is null");
        }

        public Builder maxAttempts(int maxAttempts)
        {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder maxPendingTasks(long maxPendingTasks)
        {
            this.maxPendingTasks = maxPendingTasks;
            return this;
        }

        public Builder retention(Duration retention)
        {
            this.retention = retention;
            return this;
        }

        public Builder synchronousFull(boolean synchronousFull)
        {
            this.synchronousFull = synchronousFull;
            return this;
        }

        public Builder busyTimeout(Duration busyTimeout)
        {
            this.busyTimeout = busyTimeout;
            return this;
        }

        public Builder maintenanceInterval(Duration maintenanceInterval)
        {
            this.maintenanceInterval = maintenanceInterval;
            return this;
        }

        public Builder clock(Clock clock)
        {
            this.clock = clock;
            return this;
        }

        public Options build()
        {
            return new Options(dataFolder, maxAttempts, maxPendingTasks, retention, synchronousFull, busyTimeout,
                    maintenanceInterval, clock);
        }

        /** Builds the options and opens the store. */
        public SqliteTaskStore open()
                throws IOException
        {
            return SqliteTaskStore.open(build());
        }
    }

    private final Options options;
    private final Clock clock;
    private final Database database;
    private final LogFiles logs;
    private final ArtifactFiles artifacts;
    /** Every committed change: wakes {@link #awaitChange}. */
    private final ChangeNotifier changes = new ChangeNotifier();
    /** A task became claimable (submit, release): wakes one waiting claimer per task, not every claimer per change. */
    private final ChangeNotifier claimable = new ChangeNotifier();
    private final ChangeListeners listeners = new ChangeListeners();
    /** Cancel subscriptions by task id (see {@link #onCancel}). */
    private final CancelWatches cancelWatches = new CancelWatches();
    private final TaskIds ids = new TaskIds();
    private final ScheduledExecutorService maintenance;
    private volatile boolean closed;
    /**
     * An upper bound of the PENDING tasks (when this process is the only submitter), so that submits need not count
     * them every time; -1 when unknown. Only read and written inside write transactions, i.e. under the writer lock.
     */
    private long pendingBound = -1;
    private int submitsSinceCount;

    private SqliteTaskStore(Options options, Database database)
    {
        this.options = options;
        this.clock = options.clock();
        this.database = database;
        Path folder = options.dataFolder().toAbsolutePath();
        this.logs = new LogFiles(folder.resolve("logs"), database, clock);
        this.artifacts = new ArtifactFiles(folder.resolve("artifacts"), database, clock);
        this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "taskyard-store-maintenance");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Opens the store in {@code options.dataFolder()}, creating it if needed, and purges expired terminal tasks.
     *
     * @throws IOException the folder or the database cannot be opened
     */
    public static SqliteTaskStore open(Options options)
            throws IOException
    {
        requireNonNull(options, "options is null");
        Path folder = options.dataFolder().toAbsolutePath();
        Files.createDirectories(folder.resolve("logs"));
        Files.createDirectories(folder.resolve("artifacts"));
        Database database;
        try {
            database = Database.open(new Database.Settings(folder.resolve("taskyard.db"), options.synchronousFull(),
                    options.busyTimeout(), 4));
        }
        catch (SQLException e) {
            throw new IOException("cannot open the database in " + folder, e);
        }
        SqliteTaskStore store = new SqliteTaskStore(options, database);
        try {
            database.write(connection -> {
                Schema.create(connection);
                return null;
            });
            store.maintain();
            store.removeOrphanFolders();
        }
        catch (SQLException | QueueException | RuntimeException e) {
            store.close();
            throw new IOException("cannot initialize the store in " + folder, e);
        }
        long interval = options.maintenanceInterval().toMillis();
        store.maintenance.scheduleWithFixedDelay(store::maintainQuietly, interval, interval, TimeUnit.MILLISECONDS);
        LOG.info("task store opened in {}", folder);
        return store;
    }

    public Options options()
    {
        return options;
    }

    // ---------------------------------------------------------------- submit, read, list

    @Override
    public Submission submit(SubmitRequest request)
            throws QueueException
    {
        requireNonNull(request, "request is null");
        checkOpen();
        String payload = write(request.payload());
        Optional<String> hash = request.idempotencyKey().map(key -> CanonicalJson.sha256(request.payload()));
        Submission submission = write("submit a task", connection -> {
            if (request.idempotencyKey().isPresent()) {
                Optional<Submission> earlier =
                        earlierSubmission(connection, request.idempotencyKey().get(), hash.get());
                if (earlier.isPresent()) {
                    return earlier.get();
                }
            }
            checkCapacity(connection);
            long now = clock.millis();
            String id = ids.next(now);
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO tasks (id, payload, status, created_at, attempts, progress, version, idempotency_key, \
                    payload_hash, deadline, cancel_requested)
                    VALUES (?, ?, 'PENDING', ?, 0, 0, 1, ?, ?, ?, 0)""")) {
                insert.setString(1, id);
                insert.setString(2, payload);
                insert.setLong(3, now);
                insert.setString(4, request.idempotencyKey().orElse(null));
                insert.setString(5, hash.orElse(null));
                setMillis(insert, 6, request.deadline());
                insert.executeUpdate();
            }
            pendingBound++;
            submitsSinceCount++;
            TaskRecord task = new TaskRecord(id, TaskStatus.PENDING, request.payload().deepCopy(), 0,
                    Instant.ofEpochMilli(now), Optional.empty(),
                    Optional.empty(), 0, java.util.OptionalInt.empty(), Optional.empty(), Optional.empty(), 1);
            return new Submission(task, true);
        });
        if (submission.created()) {
            LOG.debug("task {}: submitted", submission.task().taskId());
            changes.signal();
            claimable.signalOne();
            changed(submission.task().taskId());
        }
        return submission;
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
                return Optional.of(new Submission(record(rows), false));
            }
        }
    }

    /**
     * Refuses a submit when the store is full. Counting the PENDING tasks costs O(pending), so the count is kept as an
     * upper bound (claims only lower it) and taken exactly only when that bound reaches the maximum or every
     * {@value #RECOUNT_EVERY} submits (which also catches submits by other processes).
     */
    private void checkCapacity(Connection connection)
            throws SQLException, QueueFullException
    {
        if (pendingBound < 0 || pendingBound >= options.maxPendingTasks() || submitsSinceCount >= RECOUNT_EVERY) {
            try (PreparedStatement count =
                    connection.prepareStatement("SELECT COUNT(*) FROM tasks WHERE status = 'PENDING'");
                 ResultSet rows = count.executeQuery()) {
                rows.next();
                pendingBound = rows.getLong(1);
                submitsSinceCount = 0;
            }
        }
        if (pendingBound >= options.maxPendingTasks()) {
            throw new QueueFullException("the store holds its maximum of "
                    + options.maxPendingTasks() + " pending tasks");
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

    /**
     * {@inheritDoc}
     *
     * <p>Cancellations through this object reach the listener on the cancelling thread, after the commit; those made
     * by another process sharing the data folder reach the worker at its next renewal only.
     */
    @Override
    public Subscription onCancel(Lease lease, Runnable listener)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        requireNonNull(listener, "listener is null");
        checkOpen();
        CancelWatches.Watch watch = cancelWatches.register(lease.taskId(), listener);
        // a cancellation committed before the registration: tell at once (the watch fires at most once); the lease
        // state only (no payload to read and parse): this runs once per run
        Optional<LeaseRow> task =
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

    /** {@inheritDoc} Every change through this object is reported, on the thread that made it, after its commit. */
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

    private void changed(List<String> taskIds)
    {
        if (!listeners.isEmpty()) {
            taskIds.forEach(this::changed);
        }
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
            List<Claim> claims = tryClaim(request);
            if (!claims.isEmpty()) {
                return claims;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return List.of();
            }
            claimable.await(generation, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS)));
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
        record ClaimedAndCrashed(List<Claimed> claimed, List<String> crashed, List<Lease> reset) {}
        Outcome<ClaimedAndCrashed> outcome = write("claim tasks", connection -> {
            List<String> crashed = failCrashed(connection, now);
            // One statement hands out the oldest claimable tasks: the first max PENDING tasks (index tasks_by_status)
            // and the max longest-expired RUNNING ones (index tasks_by_lease), merged and cut to max, so a claim costs
            // O(max) whatever the backlog. With PostgreSQL both inner selects get "FOR UPDATE SKIP LOCKED" so that
            // concurrent claimers skip each other's rows; SQLite needs no row locks, the write transaction
            // (BEGIN IMMEDIATE) serializes claimers.
            List<Claimed> claimed = new ArrayList<>();
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE tasks
                    SET status = 'RUNNING', attempts = attempts + 1, lease_token = ? || id, lease_expires_at = ?, \
                    lease_worker = ?,
                        lease_duration_ms = ?, started_at = ?, progress = 0, version = version + 1, \
                    sandbox_engine = NULL, sandbox_data = NULL
                    WHERE id IN (SELECT id FROM (SELECT id, created_at FROM (SELECT id, created_at FROM tasks
                                                                             WHERE status = 'PENDING'
                                                                             ORDER BY created_at, id LIMIT ?) AS pending
                                                 UNION ALL
                                                 SELECT id, created_at FROM (SELECT id, created_at FROM tasks
                                                                             WHERE status = 'RUNNING' \
                    AND lease_expires_at <= ?
                                                                             ORDER BY lease_expires_at \
                    LIMIT ?) AS expired) AS claimable
                                 ORDER BY created_at, id
                                 LIMIT ?)
                    RETURNING id, payload, deadline, attempts, lease_token, created_at""")) {
                update.setString(1, tokenPrefix);
                update.setLong(2, expiry);
                update.setString(3, holder(request.worker()));
                update.setLong(4, leaseMillis);
                update.setLong(5, now);
                update.setInt(6, request.max());
                update.setLong(7, now);
                update.setInt(8, request.max());
                update.setInt(9, request.max());
                try (ResultSet rows = update.executeQuery()) {
                    while (rows.next()) {
                        claimed.add(new Claimed(LeaseRows.claim(rows, expiry), rows.getLong("created_at")));
                    }
                }
            }
            // a run id is handed out again only after release(): what the handed-back run left (a log closed late by
            // its worker, artifacts) is discarded, so that the new run starts empty
            List<Lease> reset = new ArrayList<>();
            for (Claimed c : claimed) {
                if (discardRun(connection, c.claim().lease())) {
                    reset.add(c.claim().lease());
                }
            }
            return new Outcome<>(new ClaimedAndCrashed(claimed, crashed, reset), !crashed.isEmpty());
        });
        if (outcome.terminal()) {
            logs.wakeReaders();
        }
        List<Claimed> claimed = new ArrayList<>(outcome.value().claimed());
        changed(outcome.value().crashed());
        outcome.value().reset().forEach(this::deleteRunFiles);
        if (claimed.isEmpty()) {
            if (outcome.terminal()) {
                changes.signal();
            }
            return List.of();
        }
        claimed.sort(Comparator.comparingLong(Claimed::createdAt).thenComparing(c -> c.claim().task().taskId()));
        for (Claimed c : claimed) {
            LOG.debug("task {}: claimed as attempt {} by {}", c.claim().task().taskId(), c.claim().lease().attempt(),
                    request.worker().workerId());
            changed(c.claim().task().taskId());
        }
        changes.signal();
        logs.wakeReaders();
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
     * <p>The handle is stored in the task's row ({@code sandbox_engine}, {@code sandbox_data}) by one
     * {@code UPDATE … WHERE id = ? AND lease_token = ? AND status = 'RUNNING'}.
     */
    @Override
    public boolean saveSandbox(Lease lease, SandboxHandle handle)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        requireNonNull(handle, "handle is null");
        checkOpen();
        write("save the sandbox handle of task " + lease.taskId(), connection -> {
            LeaseRows.saveSandbox(connection, lease, handle);
            return null;
        });
        LOG.debug("task {}: sandbox handle of attempt {} saved", lease.taskId(), lease.attempt());
        return true;
    }

    /**
     * {@inheritDoc}
     *
     * <p>In one transaction: the worker's runs without a handle are handed back as {@link #release} does, and one
     * {@code UPDATE … WHERE status = 'RUNNING' AND lease_worker = ? AND sandbox_data IS NOT NULL … RETURNING}
     * gives every run with one a new token and expiry; the log offset is the size of the run's log file.
     */
    @Override
    public List<ReclaimedRun> reclaim(WorkerIdentity worker, Duration leaseDuration)
            throws QueueException
    {
        requireNonNull(worker, "worker is null");
        requireNonNull(leaseDuration, "leaseDuration is null");
        checkOpen();
        long now = clock.millis();
        long leaseMillis = Math.max(1, leaseDuration.toMillis());
        long expiry = now + leaseMillis;
        String tokenPrefix = UUID.randomUUID().toString().replace("-", "") + ".";
        List<Lease> handedBack = new ArrayList<>();
        List<LeaseRows.Reclaimed> rows = write("reclaim the runs of " + holder(worker), connection -> {
            handedBack.clear();
            // the runs whose sandbox handle was never saved cannot be recovered: handed back at once, attempt reused
            handedBack.addAll(LeaseRows.handBackUnsaved(connection, holder(worker), Instant.ofEpochMilli(now)));
            for (Lease lease : handedBack) {
                discardRun(connection, lease);
                pendingBound++;
            }
            return LeaseRows.reclaim(connection, LeaseRows.RECLAIM, holder(worker), tokenPrefix, expiry,
                    leaseMillis, (run, result) -> run);
        });
        for (Lease lease : handedBack) {
            deleteRunFiles(lease);
            LOG.info("task {}: attempt {} of {} had no saved sandbox; handed back, it runs again", lease.taskId(),
                    lease.attempt(), holder(worker));
            changed(lease.taskId());
            claimable.signalOne();
        }
        if (!handedBack.isEmpty()) {
            changes.signal();
            logs.wakeReaders();
        }
        List<ReclaimedRun> reclaimed = new ArrayList<>();
        for (LeaseRows.Reclaimed row : rows) {
            Lease lease = row.claim().lease();
            long offset;
            try {
                offset = logs.size(lease.taskId(), lease.runId());
            }
            catch (IOException e) {
                throw new QueueException("cannot read the log size of task " + lease.taskId()
                        + " run " + lease.runId(), e);
            }
            LOG.info("task {}: attempt {} reclaimed by {} with its sandbox handle (log at {} bytes)", lease.taskId(),
                    lease.attempt(), holder(worker), offset);
            reclaimed.add(new ReclaimedRun(row.claim(), row.handle(), offset));
            changed(lease.taskId());
        }
        if (!reclaimed.isEmpty()) {
            changes.signal();
        }
        return reclaimed;
    }

    /** A value and whether some task became terminal on the way. */
    private record Outcome<T>(T value, boolean terminal) {}

    /** Fails the RUNNING tasks whose lease expired after their last allowed attempt; returns their ids. */
    private List<String> failCrashed(Connection connection, long now)
            throws SQLException
    {
        List<String> failed = new ArrayList<>();
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE tasks
                SET status = 'FAILED', completed_at = ?, error_reason = ?, error_title = ?, error_detail = ?, \
                version = version + 1
                WHERE status = 'RUNNING' AND lease_expires_at <= ? AND attempts >= ?
                RETURNING id, attempts""")) {
            update.setLong(1, now);
            update.setString(2, WORKER_CRASH);
            update.setString(3, title(WORKER_CRASH));
            update.setString(4, "the lease of the last allowed attempt (" + options.maxAttempts()
                    + ") expired: the worker crashed or lost contact");
            update.setLong(5, now);
            update.setInt(6, options.maxAttempts());
            try (ResultSet rows = update.executeQuery()) {
                while (rows.next()) {
                    failed.add(rows.getString(1));
                    LOG.warn("task {}: the lease of attempt {} expired and no attempts are left; the task failed "
                            + "with {}", rows.getString(1), rows.getInt(2) - 1, WORKER_CRASH);
                }
            }
        }
        return failed;
    }

    @Override
    public Lease renew(Lease lease)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        checkOpen();
        return write("renew the lease of task " + lease.taskId(), connection -> {
            long now = clock.millis();
            Optional<LeaseRow> row = LeaseRows.find(connection, lease.taskId());
            if (row.isEmpty() || row.get().status() != TaskStatus.RUNNING
                    || !lease.token().equals(row.get().leaseToken()) || row.get().expiresAt() <= now) {
                throw LeaseRows.lost(row, lease);
            }
            long expiry = now + row.get().durationMillis();
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE tasks SET lease_expires_at = ? WHERE id = ? AND lease_token = ?")) {
                update.setLong(1, expiry);
                update.setString(2, lease.taskId());
                update.setString(3, lease.token());
                update.executeUpdate();
            }
            return new Lease(lease.taskId(), lease.attempt(), lease.token(), Instant.ofEpochMilli(expiry));
        });
    }

    @Override
    public void reportProgress(Lease lease, int percent)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        checkOpen();
        int clamped = Math.max(0, Math.min(100, percent));
        write("report the progress of task " + lease.taskId(), connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE tasks SET progress = ?, version = version + 1 "
                            + "WHERE id = ? AND lease_token = ? AND status = 'RUNNING'")) {
                update.setInt(1, clamped);
                update.setString(2, lease.taskId());
                update.setString(3, lease.token());
                if (update.executeUpdate() == 0) {
                    throw LeaseRows.lost(LeaseRows.find(connection, lease.taskId()), lease);
                }
            }
            return null;
        });
        changes.signal();
        changed(lease.taskId());
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
        boolean changed = write("resolve task " + lease.taskId(), connection -> {
            Optional<LeaseRow> row = LeaseRows.find(connection, lease.taskId());
            if (row.isPresent() && row.get().status().isTerminal() && lease.token().equals(row.get().resolvedToken())) {
                return false; // the same lease resolved before: the answer was lost, nothing changes
            }
            if (row.isEmpty() || row.get().status() != TaskStatus.RUNNING
                    || !lease.token().equals(row.get().leaseToken())) {
                throw LeaseRows.lost(row, lease);
            }
            // an expired lease that nobody claimed since is still the current one: its resolution is accepted
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE tasks
                    SET status = ?, completed_at = ?, result = ?, error_reason = ?, error_title = ?, error_detail = ?, \
                    resolved_token = ?,
                        progress = CASE WHEN ? = 'COMPLETED' THEN 100 ELSE progress END, version = version + 1, \
                    exit_code = ?
                    WHERE id = ? AND lease_token = ? AND status = 'RUNNING'""")) {
                update.setString(1, status.name());
                update.setLong(2, clock.millis());
                update.setString(3, result);
                update.setString(4, reason);
                update.setString(5, reason == null ? null : title(reason));
                update.setString(6, reason == null ? null : detail(lease, resolution));
                update.setString(7, lease.token());
                update.setString(8, status.name());
                if (resolution.exitCode().isPresent()) {
                    update.setInt(9, resolution.exitCode().getAsInt());
                }
                else {
                    update.setNull(9, Types.INTEGER);
                }
                update.setString(10, lease.taskId());
                update.setString(11, lease.token());
                update.executeUpdate();
            }
            return true;
        });
        if (changed) {
            LOG.debug("task {}: attempt {} resolved as {}", lease.taskId(), lease.attempt(), resolution);
            changes.signal();
            changed(lease.taskId());
            logs.wakeReaders();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The task's {@code attempts} count goes back by one and its lease, start time and progress are cleared, in one
     * transaction with the removal of the run's log and artifact rows; their files are deleted after the commit.
     */
    @Override
    public boolean release(Lease lease)
            throws QueueException
    {
        requireNonNull(lease, "lease is null");
        checkOpen();
        boolean released = write("hand back the lease of task " + lease.taskId(), connection -> {
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE tasks
                    SET status = 'PENDING', attempts = attempts - 1, lease_token = NULL, lease_expires_at = NULL, \
                    lease_worker = NULL,
                        lease_duration_ms = NULL, started_at = NULL, progress = 0, version = version + 1, \
                    sandbox_engine = NULL, sandbox_data = NULL
                    WHERE id = ? AND lease_token = ? AND status = 'RUNNING' AND cancel_requested = 0 \
                    AND attempts > 0""")) {
                update.setString(1, lease.taskId());
                update.setString(2, lease.token());
                if (update.executeUpdate() == 0) {
                    return false;
                }
            }
            discardRun(connection, lease);
            pendingBound++;
            return true;
        });
        if (!released) {
            LOG.debug("task {}: lease of attempt {} not handed back: it is no longer the current one",
                    lease.taskId(), lease.attempt());
            return false;
        }
        deleteRunFiles(lease);
        LOG.info("task {}: attempt {} handed back unfinished; the task is pending again",
                lease.taskId(), lease.attempt());
        changes.signal();
        claimable.signalOne();
        logs.wakeReaders();
        changed(lease.taskId());
        return true;
    }

    /** Deletes the log and artifact rows of the lease's run; true if there were any. */
    private static boolean discardRun(Connection connection, Lease lease)
            throws SQLException
    {
        int deleted = 0;
        for (String sql : List.of("DELETE FROM task_logs WHERE task_id = ? AND run_id = ?",
                "DELETE FROM artifacts WHERE task_id = ? AND run_id = ?")) {
            try (PreparedStatement delete = connection.prepareStatement(sql)) {
                delete.setString(1, lease.taskId());
                delete.setString(2, lease.runId());
                deleted += delete.executeUpdate();
            }
        }
        return deleted > 0;
    }

    /** Deletes the log and artifact files of a discarded run (after the commit that discarded its rows). */
    private void deleteRunFiles(Lease lease)
    {
        logs.forgetRun(lease.taskId(), lease.runId());
        for (Path discarded : List.of(logs.folder(lease.taskId()).resolve(lease.runId() + ".log"),
                artifacts.folder(lease.taskId()).resolve(lease.runId()))) {
            try {
                deleteTree(discarded);
            }
            catch (IOException | UncheckedIOException e) {
                LOG.warn("task {}: cannot delete {} of a handed-back run", lease.taskId(), discarded, e);
            }
        }
    }

    @Override
    public Optional<TaskRecord> cancel(String taskId, String reason)
            throws QueueException
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(reason, "reason is null");
        checkOpen();
        Outcome<Optional<TaskRecord>> outcome = write("cancel task " + taskId, connection -> {
            Optional<TaskRecord> task = find(connection, taskId);
            if (task.isEmpty() || task.get().status().isTerminal()) {
                return new Outcome<>(task, false);
            }
            try (PreparedStatement update = connection.prepareStatement("""
                    UPDATE tasks
                    SET status = 'CANCELED', cancel_requested = 1, completed_at = ?, error_reason = ?, \
                    error_title = ?, error_detail = ?,
                        version = version + 1
                    WHERE id = ?""")) {
                update.setLong(1, clock.millis());
                update.setString(2, ExceptionReason.CANCELED.id());
                update.setString(3, title(ExceptionReason.CANCELED.id()));
                update.setString(4, reason);
                update.setString(5, taskId);
                update.executeUpdate();
            }
            return new Outcome<>(find(connection, taskId), true);
        });
        if (outcome.terminal()) {
            LOG.info("task {}: cancelled ({})", taskId, reason);
            changes.signal();
            changed(taskId);
            logs.wakeReaders();
            fireCancelWatches(taskId);
        }
        return outcome.value();
    }

    // ---------------------------------------------------------------- delete and retention

    @Override
    public boolean delete(String taskId)
            throws QueueException
    {
        requireNonNull(taskId, "taskId is null");
        checkOpen();
        boolean deleted = write("delete task " + taskId, connection -> {
            Optional<TaskRecord> task = find(connection, taskId);
            if (task.isEmpty()) {
                return false;
            }
            if (!task.get().status().isTerminal()) {
                throw new IllegalStateException("task " + taskId + " is " + task.get().status()
                        + "; only ended tasks can be deleted");
            }
            deleteRows(connection, "= ?", statement -> statement.setString(1, taskId));
            return true;
        });
        if (deleted) {
            deleteFiles(taskId);
            LOG.info("task {}: deleted", taskId);
            changes.signal();
            changed(taskId);
        }
        return deleted;
    }

    @FunctionalInterface
    private interface Binder
    {
        void bind(PreparedStatement statement)
                throws SQLException;
    }

    private static void deleteRows(Connection connection, String idCondition, Binder binder)
            throws SQLException
    {
        for (String sql : List.of("DELETE FROM artifacts WHERE task_id " + idCondition,
                "DELETE FROM task_logs WHERE task_id " + idCondition, "DELETE FROM tasks WHERE id " + idCondition)) {
            try (PreparedStatement delete = connection.prepareStatement(sql)) {
                binder.bind(delete);
                delete.executeUpdate();
            }
        }
    }

    private void deleteFiles(String taskId)
    {
        logs.forget(taskId);
        for (Path folder : List.of(logs.folder(taskId), artifacts.folder(taskId))) {
            try {
                deleteTree(folder);
            }
            catch (IOException | UncheckedIOException e) {
                LOG.warn("task {}: cannot delete {}; it is removed on the next start", taskId, folder, e);
            }
        }
    }

    private static void deleteTree(Path folder)
            throws IOException
    {
        if (!Files.exists(folder)) {
            return;
        }
        MoreFiles.deleteRecursively(folder);
    }

    /**
     * Deletes the terminal tasks that completed longer than the retention period ago, with their logs and artifacts.
     * Runs on open and periodically; callable at any time.
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
            // in batches, so that a large purge does not hold the write lock for long
            List<String> purged = write("purge expired tasks", connection -> {
                List<String> ids = new ArrayList<>();
                try (PreparedStatement select = connection.prepareStatement(
                        "SELECT id FROM tasks WHERE status IN " + TERMINAL
                                + " AND completed_at < ? ORDER BY completed_at LIMIT " + PURGE_BATCH)) {
                    select.setLong(1, cutoff);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            ids.add(rows.getString(1));
                        }
                    }
                }
                for (String id : ids) {
                    deleteRows(connection, "= ?", statement -> statement.setString(1, id));
                }
                return ids;
            });
            for (String taskId : purged) {
                deleteFiles(taskId);
                LOG.debug("task {}: purged after the retention period", taskId);
            }
            changed(purged);
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

    /**
     * Fails the RUNNING tasks whose last allowed attempt's lease expired (claims do this too) and purges expired
     * tasks.
     */
    public void maintain()
            throws QueueException
    {
        checkOpen();
        List<String> crashed = write("fail crashed tasks", connection -> failCrashed(connection, clock.millis()));
        if (!crashed.isEmpty()) {
            changes.signal();
            logs.wakeReaders();
            changed(crashed);
        }
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
                LOG.warn("store maintenance failed; retrying later", e);
            }
        }
    }

    /** Removes log and artifact folders of tasks that no longer exist (left by a crash during a delete). */
    private void removeOrphanFolders()
            throws IOException, QueueException
    {
        Set<String> folders = new HashSet<>();
        for (Path root : List.of(logs.folder("x").getParent(), artifacts.folder("x").getParent())) {
            try (Stream<Path> list = Files.list(root)) {
                list.filter(Files::isDirectory).forEach(folder -> folders.add(folder.getFileName().toString()));
            }
        }
        for (String taskId : folders) {
            if (!ArtifactStore.ID.matcher(taskId).matches() || get(taskId).isEmpty()) {
                LOG.info("removing files of deleted task {}", taskId);
                deleteFiles(taskId);
            }
        }
    }

    // ---------------------------------------------------------------- logs and artifacts

    @Override
    public void appendLog(String taskId, String runId, byte[] bytes, int offset, int length)
            throws IOException
    {
        checkIds(taskId, runId);
        logs.append(taskId, runId, bytes, offset, length);
    }

    @Override
    public void closeLog(String taskId, String runId)
            throws IOException
    {
        checkIds(taskId, runId);
        logs.close(taskId, runId);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The latest run is the one of the task's current attempt (run {@code "0"} before the first claim). The stream
     * ends when that log is closed, the task is terminal, or a later attempt started; it throws
     * {@link java.io.InterruptedIOException} if the reader is interrupted while waiting.
     *
     * @throws NoSuchFileException there is no such task
     */
    @Override
    public InputStream openLog(String taskId, long offset)
            throws IOException
    {
        requireNonNull(taskId, "taskId is null");
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

    /** Stops maintenance, closes open logs (forced to disk) and the database. Idempotent. */
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
        logs.close();
        changes.signal();
        claimable.signal();
        database.close();
        LOG.info("task store in {} closed", options.dataFolder());
    }

    // ---------------------------------------------------------------- helpers

    private static String detail(Lease lease, TaskResolution resolution)
    {
        return TaskRows.detail(lease, resolution);
    }

    private static TaskRecord record(ResultSet rows)
            throws SQLException
    {
        return TaskRows.record(rows);
    }

    private static void setMillis(PreparedStatement statement, int index, Optional<Instant> instant)
            throws SQLException
    {
        TaskRows.setMillis(statement, index, instant);
    }

    private static String write(JsonNode node)
    {
        return TaskRows.write(node);
    }

    static String title(String reason)
    {
        return TaskRows.title(reason);
    }

    private <T> T write(String what, Database.Work<T, QueueException> work)
            throws QueueException
    {
        try {
            return database.write(work);
        }
        catch (SQLException e) {
            throw new QueueException("cannot " + what + ": " + e.getMessage(), e);
        }
    }

    private <T> T read(String what, Database.Work<T, QueueException> work)
            throws QueueException
    {
        try {
            return database.read(work);
        }
        catch (SQLException e) {
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
