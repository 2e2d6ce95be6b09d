package dev.taskyard.store.postgres.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

import dev.taskyard.store.internal.ChangeNotifier;

import static java.util.Objects.requireNonNull;

/**
 * Run logs in PostgreSQL: {@code task_logs} holds each run's size and whether it is closed, {@code log_chunks} the
 * bytes as appended, so that any node serves any log, live or finished, from any offset.
 *
 * <p>An append is one statement with auto-commit (one round trip) that creates the log or moves its size under the
 * row lock, and stores the chunk at the old size; a close is one statement too, shared by the closes other threads
 * make at the same time (see {@link Combiner}). Appends and the close commit with {@code synchronous_commit = off}
 * (set for their own transaction only, with {@code set_config(…, true)} inside the statement): a crash of the
 * database may lose the last of them, never reorder them, and the next synchronous commit of the node (the resolution
 * of the run, which the worker makes right after it closes the log) makes everything before it durable, since the
 * write-ahead log is flushed in order. A run whose close was lost that way is still RUNNING in the store, so its lease
 * expires and the next attempt starts a fresh log; a reader stops following a log once its task is terminal, closed
 * or not. A run that never appended has no row: it reads as an empty log that ends with the run. A reader follows a
 * live run (log not closed, task not ended, run still the latest, lease not expired) and waits for more on
 * {@code wakeups}, which the store signals on local appends and on other nodes' events, re-checking every
 * {@value #POLL_MILLIS} ms as a backstop. Thread-safe.
 */
public final class LogRows
{
    private static final long POLL_MILLIS = 500;
    private static final int CHUNKS_PER_READ = 64;

    private final Retrying database;
    private final Clock clock;
    private final ChangeNotifier wakeups;
    private final Combiner<RunLog, Boolean> closes =
            new Combiner<>(Combiner.MAX_BATCH, Combiner.MAX_IN_FLIGHT, this::closeBatch);

    public LogRows(Retrying database, Clock clock, ChangeNotifier wakeups)
    {
        this.database = requireNonNull(database, "database is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.wakeups = requireNonNull(wakeups, "wakeups is null");
    }

    /**
     * Appends to the log of a run, creating it on first use.
     *
     * @throws java.nio.file.NoSuchFileException there is no such task
     * @throws IOException the log is closed, or the database failed
     */
    public void append(String taskId, String runId, byte[] bytes, int offset, int length)
            throws IOException
    {
        requireNonNull(bytes, "bytes is null");
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        if (length == 0) {
            return;
        }
        byte[] data = Arrays.copyOfRange(bytes, offset, offset + length);
        String what = "append to the log of task " + taskId + " run " + runId;
        // not retried once it reached the database: a lost answer would store the chunk twice. One statement with
        // auto-commit (one round trip), the first append of a run included: it creates the log or moves the size of
        // the open log, and stores the chunk at the old size
        boolean appended = ArtifactRows.io(database, what, false, false,
                connection -> appendChunk(connection, taskId, runId, data), taskId, null);
        if (!appended) {
            throw new IOException("the log of task " + taskId + " run " + runId + " is closed");
        }
        wakeups.signal();
    }

    /**
     * One statement, committed without waiting for the flush ({@code synchronous_commit} off for its transaction):
     * creates the run's log holding the chunk's length, or moves the size of the open log by it (an upsert, so
     * concurrent first appends of one run agree), and stores the chunk at the old size. Returns false, having changed
     * nothing, when the log is closed; a task that does not exist fails the statement (foreign key).
     */
    private static boolean appendChunk(Connection connection, String taskId, String runId, byte[] data)
            throws SQLException
    {
        try (PreparedStatement append = connection.prepareStatement("""
                WITH async AS (SELECT set_config('synchronous_commit', 'off', TRUE)),
                     reserved AS (INSERT INTO task_logs AS l (task_id, run_id, size, closed)
                                  SELECT ?, ?, ?, FALSE FROM async
                                  ON CONFLICT (task_id, run_id) DO UPDATE SET size = l.size + EXCLUDED.size
                                  WHERE NOT l.closed
                                  RETURNING l.size - ? AS start_offset)
                INSERT INTO log_chunks (task_id, run_id, start_offset, data)
                SELECT ?, ?, reserved.start_offset, ? FROM reserved""")) {
            append.setString(1, taskId);
            append.setString(2, runId);
            append.setLong(3, data.length);
            append.setLong(4, data.length);
            append.setString(5, taskId);
            append.setString(6, runId);
            append.setBytes(7, data);
            return append.executeUpdate() == 1;
        }
    }

    /**
     * Marks the log of a run complete (creating it empty if nothing was appended); idempotent. Closes made at the
     * same time by several threads are combined into one statement (one round trip, one commit).
     */
    public void close(String taskId, String runId)
            throws IOException
    {
        String what = "close the log of task " + taskId + " run " + runId;
        // one statement with auto-commit (one round trip), committed without waiting for the flush
        try {
            closes.run(new RunLog(taskId, runId), log -> ArtifactRows.io(database, what, true, false, connection -> {
                upsertClosed(connection, new String[] {log.taskId()}, new String[] {log.runId()});
                return true;
            }, log.taskId(), null));
        }
        catch (IOException | RuntimeException e) {
            throw e;
        }
        catch (Exception e) {
            throw new IOException("cannot " + what + ": " + e.getMessage(), e);
        }
        wakeups.signal();
    }

    /** Combines concurrent closes (tests look at its counts). */
    public Combiner<?, ?> closes()
    {
        return closes;
    }

    /** The log of one run. */
    private record RunLog(String taskId, String runId)
    {
    }

    /**
     * Closes the logs of several runs in one statement, ordered by task and run (one lock order for every combined
     * close) and without duplicates (an upsert cannot touch a row twice). The insert reads no table, so its plan does
     * not depend on the statistics. A failure that is not the connection's (a task deleted meanwhile fails the whole
     * statement) makes every close run alone, which tells whose it is.
     */
    private List<Combiner.Result<Boolean>> closeBatch(List<RunLog> requested)
            throws Exception
    {
        List<RunLog> logs = requested.stream().distinct()
                .sorted(Comparator.comparing(RunLog::taskId).thenComparing(RunLog::runId)).toList();
        String[] taskIds = logs.stream().map(RunLog::taskId).toArray(String[]::new);
        String[] runIds = logs.stream().map(RunLog::runId).toArray(String[]::new);
        boolean written = database.combinedWrite("close " + logs.size() + " logs", true, connection -> {
            upsertClosed(connection, taskIds, runIds);
            return true;
        }).isPresent();
        return Collections.nCopies(requested.size(), written ? Combiner.Result.done(true) : Combiner.Result.alone());
    }

    private static void upsertClosed(Connection connection, String[] taskIds, String[] runIds)
            throws SQLException
    {
        try (PreparedStatement upsert = connection.prepareStatement("""
                INSERT INTO task_logs (task_id, run_id, size, closed)
                SELECT task_id, run_id, 0, TRUE
                FROM unnest(?::varchar[], ?::varchar[]) AS l(task_id, run_id),
                     (SELECT set_config('synchronous_commit', 'off', TRUE)) AS async
                ON CONFLICT (task_id, run_id) DO UPDATE SET closed = TRUE""")) {
            upsert.setArray(1, connection.createArrayOf("varchar", taskIds));
            upsert.setArray(2, connection.createArrayOf("varchar", runIds));
            upsert.executeUpdate();
        }
    }

    /** Reads the log of a run from {@code offset}, following it while the run is live. */
    public InputStream open(String taskId, String runId, long offset)
    {
        if (offset < 0) {
            throw new IllegalArgumentException("offset is negative");
        }
        return new Follower(taskId, runId, offset);
    }

    private record Chunk(long start, byte[] data)
    {
    }

    /** Reads a run's log, blocking at its end while the run is live. Not thread-safe (one reader). */
    private final class Follower
            extends InputStream
    {
        private final String taskId;
        private final String runId;
        private long position;
        private final Deque<Chunk> chunks = new ArrayDeque<>();
        private boolean ended;

        Follower(String taskId, String runId, long position)
        {
            this.taskId = taskId;
            this.runId = runId;
            this.position = position;
        }

        @Override
        public int read()
                throws IOException
        {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length)
                throws IOException
        {
            java.util.Objects.checkFromIndexSize(offset, length, buffer.length);
            if (length == 0) {
                return 0;
            }
            while (true) {
                int n = fromChunks(buffer, offset, length);
                if (n > 0) {
                    return n;
                }
                if (ended) {
                    return -1;
                }
                long seen = wakeups.generation();
                boolean live = live();
                fetch();
                n = fromChunks(buffer, offset, length);
                if (n > 0) {
                    return n;
                }
                if (!live) {
                    ended = true;
                    return -1;
                }
                try {
                    wakeups.awaitMillis(seen, POLL_MILLIS);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while following the log of task " + taskId);
                }
            }
        }

        private int fromChunks(byte[] buffer, int offset, int length)
        {
            while (!chunks.isEmpty()) {
                Chunk chunk = chunks.peekFirst();
                long end = chunk.start() + chunk.data().length;
                if (end <= position) {
                    chunks.removeFirst();
                    continue;
                }
                int from = (int) (position - chunk.start());
                int n = Math.min(length, chunk.data().length - from);
                System.arraycopy(chunk.data(), from, buffer, offset, n);
                position += n;
                return n;
            }
            return 0;
        }

        private void fetch()
                throws IOException
        {
            long from = position;
            chunks.addAll(ArtifactRows.io(database, "read the log of task " + taskId, true, false, connection -> {
                java.util.List<Chunk> found = new java.util.ArrayList<>();
                try (PreparedStatement select = connection.prepareStatement("""
                        SELECT start_offset, data FROM log_chunks
                        WHERE task_id = ? AND run_id = ?
                          AND start_offset >= (SELECT COALESCE(MAX(start_offset), 0) FROM log_chunks WHERE task_id = ? \
                        AND run_id = ? AND start_offset <= ?)
                        ORDER BY start_offset LIMIT ?""")) {
                    select.setString(1, taskId);
                    select.setString(2, runId);
                    select.setString(3, taskId);
                    select.setString(4, runId);
                    select.setLong(5, from);
                    select.setInt(6, CHUNKS_PER_READ);
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            found.add(new Chunk(rows.getLong(1), rows.getBytes(2)));
                        }
                    }
                }
                return found;
            }, taskId, null));
        }

        /** Whether the run can still grow: its log is not closed, and it is the latest run of a task that has not
         * ended. */
        private boolean live()
                throws IOException
        {
            String what = "read the state of the log of task " + taskId;
            return ArtifactRows.io(database, what, true, false, connection -> {
                try (PreparedStatement select = connection.prepareStatement("""
                        SELECT t.status, t.attempts, t.lease_expires_at, l.closed
                        FROM tasks t LEFT JOIN task_logs l ON l.task_id = t.id AND l.run_id = ?
                        WHERE t.id = ?""")) {
                    select.setString(1, runId);
                    select.setString(2, taskId);
                    try (ResultSet rows = select.executeQuery()) {
                        if (!rows.next() || rows.getBoolean(4)) {
                            return false;
                        }
                        String status = rows.getString(1);
                        int latestRun = Math.max(0, rows.getInt(2) - 1);
                        boolean terminal = !status.equals("PENDING") && !status.equals("RUNNING");
                        // an expired lease cannot be renewed: that run is over even if nobody claimed the task since
                        boolean expired = status.equals("RUNNING") && rows.getLong(3) <= clock.millis();
                        return !terminal && !expired && Integer.toString(latestRun).equals(runId);
                    }
                }
            }, taskId, null);
        }

        @Override
        public void close()
        {
            ended = true;
            chunks.clear();
        }
    }
}
