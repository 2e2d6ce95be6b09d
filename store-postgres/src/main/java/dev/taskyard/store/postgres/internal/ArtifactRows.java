package dev.taskyard.store.postgres.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;

import static java.util.Objects.requireNonNull;

/**
 * Artifacts in PostgreSQL: a row in {@code artifacts} and the content in {@code artifact_chunks} of at most
 * {@value #CHUNK} bytes, written in one transaction, so that every node reads every artifact and a half-stored one is
 * never seen. Reading fetches one chunk at a time. Thread-safe.
 */
public final class ArtifactRows
{
    static final int CHUNK = 1024 * 1024;
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    private final Retrying database;
    private final Clock clock;

    public ArtifactRows(Retrying database, Clock clock)
    {
        this.database = requireNonNull(database, "database is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    public Artifact put(String taskId, String runId, String name, InputStream content)
            throws IOException
    {
        check(taskId, runId, name);
        requireNonNull(content, "content is null");
        // the content is read once: this unit of work is not retried after it started
        long size = call("store artifact " + name + " of task " + taskId, false, connection -> {
            insert(connection, taskId, runId, name, null);
            long total = 0;
            try (PreparedStatement chunk = connection.prepareStatement(
                    "INSERT INTO artifact_chunks (task_id, run_id, name, seq, data) VALUES (?, ?, ?, ?, ?)")) {
                byte[] buffer = new byte[CHUNK];
                int seq = 0;
                while (true) {
                    int n = content.readNBytes(buffer, 0, CHUNK);
                    if (n == 0) {
                        break;
                    }
                    chunk.setString(1, taskId);
                    chunk.setString(2, runId);
                    chunk.setString(3, name);
                    chunk.setInt(4, seq++);
                    chunk.setBytes(5, n == CHUNK ? buffer : java.util.Arrays.copyOf(buffer, n));
                    chunk.executeUpdate();
                    total += n;
                    if (n < CHUNK) {
                        break;
                    }
                }
            }
            try (PreparedStatement update =
                    connection.prepareStatement("UPDATE artifacts SET size = ? "
                    + "WHERE task_id = ? AND run_id = ? AND name = ?")) {
                update.setLong(1, total);
                update.setString(2, taskId);
                update.setString(3, runId);
                update.setString(4, name);
                update.executeUpdate();
            }
            return total;
        }, taskId, name);
        return new Artifact(name, size, Optional.empty());
    }

    public Artifact putError(String taskId, String runId, String name, Artifact.ArtifactError error)
            throws IOException
    {
        check(taskId, runId, name);
        requireNonNull(error, "error is null");
        call("store error artifact " + name + " of task " + taskId, false, connection -> {
            insert(connection, taskId, runId, name, error);
            return null;
        }, taskId, name);
        return new Artifact(name, 0, Optional.of(error));
    }

    private void insert(java.sql.Connection connection, String taskId, String runId, String name,
            Artifact.ArtifactError error)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO artifacts (task_id, run_id, name, size, error_reason, error_message, created_at) VALUES "
                        + "(?, ?, ?, 0, ?, ?, ?)")) {
            insert.setString(1, taskId);
            insert.setString(2, runId);
            insert.setString(3, name);
            insert.setString(4, error == null ? null : error.reason());
            insert.setString(5, error == null ? null : error.message());
            insert.setLong(6, clock.millis());
            insert.executeUpdate();
        }
    }

    public List<Artifact> list(String taskId, String runId)
            throws IOException
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(runId, "runId is null");
        return call("list the artifacts of task " + taskId, true, connection -> {
            List<Artifact> artifacts = new ArrayList<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT name, size, error_reason, error_message FROM artifacts WHERE task_id = ? AND run_id = ? "
                            + "ORDER BY name COLLATE \"C\"")) {
                select.setString(1, taskId);
                select.setString(2, runId);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        String reason = rows.getString(3);
                        artifacts.add(new Artifact(rows.getString(1), rows.getLong(2),
                                reason == null ? Optional.empty()
                                        : Optional.of(new Artifact.ArtifactError(reason, rows.getString(4)))));
                    }
                }
            }
            return artifacts;
        }, taskId, null);
    }

    public InputStream open(String taskId, String runId, String name)
            throws IOException
    {
        check(taskId, runId, name);
        boolean content = call("open artifact " + name + " of task " + taskId, true, connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT error_reason FROM artifacts WHERE task_id = ? AND run_id = ? AND name = ?")) {
                select.setString(1, taskId);
                select.setString(2, runId);
                select.setString(3, name);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() && rows.getString(1) == null;
                }
            }
        }, taskId, null);
        if (!content) {
            throw new NoSuchFileException(taskId + "/" + runId + "/" + name, null, "no such artifact");
        }
        return new ChunkStream(taskId, runId, name);
    }

    /** Reads an artifact's chunks one by one, each in its own short transaction. */
    private final class ChunkStream
            extends InputStream
    {
        private final String taskId;
        private final String runId;
        private final String name;
        private int seq;
        private byte[] chunk = new byte[0];
        private int position;
        private boolean ended;

        ChunkStream(String taskId, String runId, String name)
        {
            this.taskId = taskId;
            this.runId = runId;
            this.name = name;
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
            while (position >= chunk.length) {
                if (ended) {
                    return -1;
                }
                int wanted = seq;
                byte[] next = call("read artifact " + name + " of task " + taskId, true, connection -> {
                    try (PreparedStatement select = connection.prepareStatement(
                            "SELECT data FROM artifact_chunks "
                                    + "WHERE task_id = ? AND run_id = ? AND name = ? AND seq = ?")) {
                        select.setString(1, taskId);
                        select.setString(2, runId);
                        select.setString(3, name);
                        select.setInt(4, wanted);
                        try (ResultSet rows = select.executeQuery()) {
                            return rows.next() ? rows.getBytes(1) : null;
                        }
                    }
                }, taskId, null);
                if (next == null) {
                    ended = true;
                    return -1;
                }
                seq++;
                chunk = next;
                position = 0;
            }
            int n = Math.min(length, chunk.length - position);
            System.arraycopy(chunk, position, buffer, offset, n);
            position += n;
            return n;
        }
    }

    private static void check(String taskId, String runId, String name)
    {
        if (taskId == null || !ArtifactStore.ID.matcher(taskId).matches() || runId == null
                || !ArtifactStore.ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("invalid task or run id: " + taskId + "/" + runId);
        }
        if (!ArtifactStore.isValidName(name)) {
            throw new IllegalArgumentException("invalid artifact name: " + name);
        }
    }

    private <T> T call(String what, boolean idempotent, Retrying.Work<T> work, String taskId, String name)
            throws IOException
    {
        return io(database, what, idempotent, work, taskId, name);
    }

    /**
     * Runs a unit of work for the logs or artifacts of task {@code taskId}, translating what failed: a missing task
     * into {@link NoSuchFileException}, an artifact stored twice (when {@code name} is given) into
     * {@link FileAlreadyExistsException}, the rest into {@link IOException}.
     */
    static <T> T io(Retrying database, String what, boolean idempotent, Retrying.Work<T> work,
            String taskId, String name)
            throws IOException
    {
        return io(database, what, idempotent, true, work, taskId, name);
    }

    /**
     * {@link #io(Retrying, String, boolean, Retrying.Work, String, String)} in a transaction, or with
     * {@code transaction} false as a {@linkplain Retrying#singleWrite single write} (auto-commit).
     */
    static <T> T io(Retrying database, String what, boolean idempotent, boolean transaction, Retrying.Work<T> work,
            String taskId, String name)
            throws IOException
    {
        try {
            return transaction ? database.transaction(what, idempotent, work)
                    : database.singleWrite(what, idempotent, work);
        }
        catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState()) && name != null) {
                throw new FileAlreadyExistsException(taskId + "/" + name, null,
                        "the run already has an artifact of that name");
            }
            if (FOREIGN_KEY_VIOLATION.equals(e.getSQLState())) {
                throw new NoSuchFileException("task " + taskId, null, "no such task");
            }
            throw new IOException("cannot " + what + ": " + e.getMessage(), e);
        }
        catch (IOException | RuntimeException e) {
            throw e;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted: " + what);
        }
        catch (Exception e) {
            throw new IOException("cannot " + what + ": " + e.getMessage(), e);
        }
    }
}
