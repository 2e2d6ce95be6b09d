package dev.taskyard.store.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The logs of task runs: one file per run, {@code root/<taskId>/<runId>.log}, indexed in {@code task_logs}. Appends go
 * straight to the file (no buffering in this process), so readers in any thread or process see them at once; closing
 * a log forces it to disk and marks it closed in the database.
 *
 * <p>A reader {@linkplain #open follows} a run while it is live: the log is not closed, the task is not terminal and
 * the run is still the task's latest. It blocks for new bytes (woken in-process by appends, closes and
 * {@link #wakeReaders()}; it also re-checks every {@value #POLL_MILLIS} ms for writers in other processes) and ends
 * once the run is no longer live and every byte was read. Thread-safe.
 */
public final class LogFiles
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(LogFiles.class);
    private static final long POLL_MILLIS = 200;

    private final Path root;
    private final Database database;
    private final Clock clock;
    private final Map<String, Writer> writers = new ConcurrentHashMap<>();
    private final Object monitor = new Object();
    private long generation;
    private volatile boolean closed;

    /** A log open for appending in this process. */
    private static final class Writer
    {
        final FileChannel channel;
        boolean closed;

        Writer(FileChannel channel)
        {
            this.channel = channel;
        }
    }

    public LogFiles(Path root, Database database, Clock clock)
    {
        this.root = requireNonNull(root, "root is null");
        this.database = requireNonNull(database, "database is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The folder of the task's logs. */
    public Path folder(String taskId)
    {
        return root.resolve(taskId);
    }

    private Path file(String taskId, String runId)
    {
        return folder(taskId).resolve(runId + ".log");
    }

    private static String key(String taskId, String runId)
    {
        return taskId + "/" + runId;
    }

    /**
     * Appends bytes to the log of a run, creating it on first use.
     *
     * @throws NoSuchFileException there is no such task
     * @throws IOException the log is closed, or writing failed
     */
    public void append(String taskId, String runId, byte[] bytes, int offset, int length)
            throws IOException
    {
        requireNonNull(bytes, "bytes is null");
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        checkOpen();
        Writer writer = writer(taskId, runId);
        synchronized (writer) {
            if (writer.closed) {
                throw new IOException("the log of task " + taskId + " run " + runId + " is closed");
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
            while (buffer.hasRemaining()) {
                writer.channel.write(buffer);
            }
        }
        wakeReaders();
    }

    /** The bytes of the run's log stored so far (written to its file); 0 if it has none. */
    public long size(String taskId, String runId)
            throws IOException
    {
        Path file = file(taskId, runId);
        try {
            return Files.size(file);
        }
        catch (NoSuchFileException e) {
            return 0;
        }
    }

    /**
     * Forces the run's log to disk and marks it complete; idempotent.
     *
     * @throws NoSuchFileException there is no such task
     */
    public void close(String taskId, String runId)
            throws IOException
    {
        checkOpen();
        String key = key(taskId, runId);
        Writer writer = writers.get(key);
        long size;
        if (writer != null) {
            synchronized (writer) {
                if (!writer.closed) {
                    writer.channel.force(true);
                    writer.channel.close();
                    writer.closed = true;
                }
            }
            Durability.forceFolders(folder(taskId), root);
        }
        Path file = file(taskId, runId);
        size = Files.exists(file) ? Files.size(file) : 0;
        try {
            database.write(connection -> {
                try (PreparedStatement update =
                        connection.prepareStatement("UPDATE task_logs SET closed = 1, size = ? "
                        + "WHERE task_id = ? AND run_id = ?")) {
                    update.setLong(1, size);
                    update.setString(2, taskId);
                    update.setString(3, runId);
                    if (update.executeUpdate() == 0) {
                        requireTask(connection, taskId);
                        insert(connection, taskId, runId, size, true);
                    }
                }
                return null;
            });
        }
        catch (SQLException e) {
            throw new IOException("cannot mark the log of task " + taskId + " run " + runId + " closed", e);
        }
        writers.remove(key, writer);
        LOG.debug("task {}: log of run {} closed at {} bytes", taskId, runId, size);
        wakeReaders();
    }

    private Writer writer(String taskId, String runId)
            throws IOException
    {
        String key = key(taskId, runId);
        Writer existing = writers.get(key);
        if (existing != null) {
            return existing;
        }
        synchronized (writers) {
            existing = writers.get(key);
            if (existing != null) {
                return existing;
            }
            boolean wasClosed;
            try {
                wasClosed = database.write(connection -> {
                    requireTask(connection, taskId);
                    try (PreparedStatement log = connection.prepareStatement(
                            "SELECT closed FROM task_logs WHERE task_id = ? AND run_id = ?")) {
                        log.setString(1, taskId);
                        log.setString(2, runId);
                        try (ResultSet rows = log.executeQuery()) {
                            if (rows.next()) {
                                return rows.getInt(1) != 0;
                            }
                        }
                    }
                    insert(connection, taskId, runId, 0, false);
                    return false;
                });
            }
            catch (SQLException e) {
                throw new IOException("cannot register the log of task " + taskId + " run " + runId, e);
            }
            if (wasClosed) {
                throw new IOException("the log of task " + taskId + " run " + runId + " is closed");
            }
            Path file = file(taskId, runId);
            Files.createDirectories(file.getParent());
            Writer writer = new Writer(FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND));
            writers.put(key, writer);
            return writer;
        }
    }

    private static void requireTask(java.sql.Connection connection, String taskId)
            throws SQLException, NoSuchFileException
    {
        try (PreparedStatement task = connection.prepareStatement("SELECT 1 FROM tasks WHERE id = ?")) {
            task.setString(1, taskId);
            try (ResultSet rows = task.executeQuery()) {
                if (!rows.next()) {
                    throw new NoSuchFileException("task " + taskId, null, "no such task");
                }
            }
        }
    }

    private void insert(java.sql.Connection connection, String taskId, String runId, long size, boolean isClosed)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO task_logs (task_id, run_id, file, size, closed) "
                        + "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            insert.setString(1, taskId);
            insert.setString(2, runId);
            insert.setString(3, root.relativize(file(taskId, runId)).toString().replace('\\', '/'));
            insert.setLong(4, size);
            insert.setInt(5, isClosed ? 1 : 0);
            insert.executeUpdate();
        }
    }

    /** Wakes blocked readers so that they re-check their run (after appends, closes, or a task status change). */
    public void wakeReaders()
    {
        synchronized (monitor) {
            generation++;
            monitor.notifyAll();
        }
    }

    /**
     * Opens the log of a run from byte {@code offset}, following it while the run is live. The stream throws
     * {@link InterruptedIOException} if the reading thread is interrupted while it waits.
     */
    public InputStream open(String taskId, String runId, long offset)
    {
        if (offset < 0) {
            throw new IllegalArgumentException("offset is negative");
        }
        return new Follower(taskId, runId, offset);
    }

    /** Closes the run's log if this process has it open for appending (its file is about to be deleted). */
    public void forgetRun(String taskId, String runId)
    {
        Writer writer = writers.remove(key(taskId, runId));
        if (writer != null) {
            synchronized (writer) {
                closeQuietly(writer);
            }
        }
        wakeReaders();
    }

    /** Closes the writers of a task's logs (before its files are deleted). */
    public void forget(String taskId)
    {
        writers.entrySet().removeIf(entry -> {
            if (!entry.getKey().startsWith(taskId + "/")) {
                return false;
            }
            Writer writer = entry.getValue();
            synchronized (writer) {
                closeQuietly(writer);
            }
            return true;
        });
        wakeReaders();
    }

    /** Whether the run can still grow: its log is not closed, and it is the latest run of a task that has not ended. */
    private boolean live(String taskId, String runId)
            throws IOException
    {
        boolean writing = writers.containsKey(key(taskId, runId));
        try {
            return database.read(connection -> {
                try (PreparedStatement log =
                        connection.prepareStatement("SELECT closed FROM task_logs WHERE task_id = ? AND run_id = ?")) {
                    log.setString(1, taskId);
                    log.setString(2, runId);
                    try (ResultSet rows = log.executeQuery()) {
                        if (!writing && rows.next() && rows.getInt(1) != 0) {
                            return false;
                        }
                    }
                }
                try (PreparedStatement task = connection.prepareStatement(
                        "SELECT status, attempts, lease_expires_at FROM tasks WHERE id = ?")) {
                    task.setString(1, taskId);
                    try (ResultSet rows = task.executeQuery()) {
                        if (!rows.next()) {
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
            });
        }
        catch (SQLException e) {
            throw new IOException("cannot read the state of the log of task " + taskId + " run " + runId, e);
        }
    }

    private void checkOpen()
            throws IOException
    {
        if (closed) {
            throw new IOException("the store is closed");
        }
    }

    /** Closes every open log (forcing it to disk) without marking it complete. */
    @Override
    public void close()
    {
        closed = true;
        for (Writer writer : writers.values()) {
            synchronized (writer) {
                try {
                    if (!writer.closed) {
                        writer.channel.force(true);
                    }
                }
                catch (IOException e) {
                    LOG.warn("cannot force a log to disk", e);
                }
                closeQuietly(writer);
            }
        }
        writers.clear();
        wakeReaders();
    }

    private static void closeQuietly(Writer writer)
    {
        try {
            writer.channel.close();
        }
        catch (IOException ignored) {
            // closing anyway
        }
        writer.closed = true;
    }

    /** Reads a run's log, blocking at its end while the run is live. */
    private final class Follower
            extends InputStream
    {
        private final String taskId;
        private final String runId;
        private long position;
        private FileChannel channel;
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
                if (ended) {
                    return -1;
                }
                checkOpen();
                long seen;
                synchronized (monitor) {
                    seen = generation;
                }
                int n = readAvailable(buffer, offset, length);
                if (n > 0) {
                    return n;
                }
                boolean live = live(taskId, runId);
                n = readAvailable(buffer, offset, length);
                if (n > 0) {
                    return n;
                }
                if (!live) {
                    ended = true;
                    return -1;
                }
                synchronized (monitor) {
                    try {
                        if (generation == seen) {
                            monitor.wait(POLL_MILLIS);
                        }
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while following the log of task " + taskId);
                    }
                }
            }
        }

        private int readAvailable(byte[] buffer, int offset, int length)
                throws IOException
        {
            if (channel == null) {
                try {
                    channel = FileChannel.open(file(taskId, runId), StandardOpenOption.READ);
                }
                catch (NoSuchFileException e) {
                    return 0;
                }
            }
            int n = channel.read(ByteBuffer.wrap(buffer, offset, length), position);
            if (n <= 0) {
                return 0;
            }
            position += n;
            return n;
        }

        @Override
        public void close()
                throws IOException
        {
            ended = true;
            if (channel != null) {
                channel.close();
            }
        }
    }
}
