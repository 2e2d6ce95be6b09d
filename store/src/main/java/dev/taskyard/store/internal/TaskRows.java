package dev.taskyard.store.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.store.TaskError;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.TaskResolution;

/**
 * The mapping between the {@code tasks} table, which the SQLite and PostgreSQL stores share column for column, and
 * {@link TaskRecord}s; JSON columns are text. Thread-safe.
 */
public final class TaskRows
{
    /** The columns {@link #record} reads. */
    public static final String COLUMNS =
            "id, payload, status, progress, created_at, started_at, completed_at, attempts, result, "
            + "error_reason, error_title, error_detail, version, exit_code";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Writes JSON trees; its root serializer is looked up once (immutable, so shared by all threads). */
    private static final ObjectWriter TREE_WRITER = JSON.writerFor(JsonNode.class);

    private TaskRows()
    {
    }

    /** The task of the current row (selected with at least {@link #COLUMNS}). */
    public static TaskRecord record(ResultSet rows)
            throws SQLException
    {
        String reason = rows.getString("error_reason");
        Optional<TaskError> error = reason == null ? Optional.empty()
                : Optional.of(new TaskError(reason, nullToEmpty(rows.getString("error_title")),
                        nullToEmpty(rows.getString("error_detail"))));
        String result = rows.getString("result");
        int exitCode = rows.getInt("exit_code");
        OptionalInt exit = rows.wasNull() ? OptionalInt.empty() : OptionalInt.of(exitCode);
        return new TaskRecord(
                rows.getString("id"),
                TaskStatus.valueOf(rows.getString("status")),
                parse(rows.getString("payload")),
                rows.getInt("progress"),
                Instant.ofEpochMilli(rows.getLong("created_at")),
                millis(rows, "started_at"),
                millis(rows, "completed_at"),
                Math.max(0, rows.getInt("attempts") - 1),
                exit,
                result == null ? Optional.empty() : Optional.of(parse(result)),
                error,
                rows.getLong("version"));
    }

    /**
     * The record of a task just inserted as PENDING with {@code id}, {@code payload} and {@code createdAtMillis} (no
     * attempt yet, progress 0, version 1): what reading the new row back would give, without a round trip or a parse.
     * The payload is copied, so the record shares no mutable node with the caller.
     */
    public static TaskRecord created(String id, JsonNode payload, long createdAtMillis)
    {
        return new TaskRecord(id, TaskStatus.PENDING, payload.deepCopy(), 0, Instant.ofEpochMilli(createdAtMillis),
                Optional.empty(), Optional.empty(), 0, OptionalInt.empty(), Optional.empty(), Optional.empty(), 1);
    }

    /** The task with this id, read on {@code connection}; empty when there is none. */
    public static Optional<TaskRecord> find(Connection connection, String taskId)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM tasks WHERE id = ?")) {
            select.setString(1, taskId);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(record(rows)) : Optional.empty();
            }
        }
    }

    /** How many tasks are in each status (every status present, zero when none), read on {@code connection}. */
    public static Map<TaskStatus, Long> countByStatus(Connection connection)
            throws SQLException
    {
        Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
        for (TaskStatus status : TaskStatus.values()) {
            counts.put(status, 0L);
        }
        try (PreparedStatement select =
                connection.prepareStatement("SELECT status, COUNT(*) FROM tasks GROUP BY status");
                ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                counts.put(TaskStatus.valueOf(rows.getString(1)), rows.getLong(2));
            }
        }
        return counts;
    }

    /** The error detail of a resolution: its message, else what ended it, with the exit code when there is one. */
    public static String detail(Lease lease, TaskResolution resolution)
    {
        String exit = resolution.exitCode().isPresent() ? " (exit code " + resolution.exitCode().getAsInt() + ")" : "";
        return resolution.message()
                .map(message -> "attempt " + lease.attempt() + ": " + message + exit)
                .orElse("attempt " + lease.attempt() + " ended with " + resolution + exit);
    }

    /** The title of an error reason ({@link TaskEndReason}'s, or a generic one for a reason it does not know). */
    public static String title(String reason)
    {
        return TaskEndReason.fromId(reason).map(TaskEndReason::title).orElse("The task ended with " + reason);
    }

    private static String nullToEmpty(String value)
    {
        return value == null ? "" : value;
    }

    /** An epoch-milliseconds column, empty when NULL. */
    public static Optional<Instant> millis(ResultSet rows, String column)
            throws SQLException
    {
        long value = rows.getLong(column);
        return rows.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(value));
    }

    /** Binds an instant as epoch milliseconds, or NULL. */
    public static void setMillis(PreparedStatement statement, int index, Optional<Instant> instant)
            throws SQLException
    {
        if (instant.isPresent()) {
            statement.setLong(index, instant.get().toEpochMilli());
        }
        else {
            statement.setNull(index, Types.BIGINT);
        }
    }

    /** Parses a stored JSON document. */
    public static JsonNode parse(String text)
            throws SQLException
    {
        try {
            return JSON.readTree(text);
        }
        catch (JsonProcessingException e) {
            throw new SQLException("a stored JSON document is corrupt", e);
        }
    }

    /** Serializes a JSON document for storing. */
    public static String write(JsonNode node)
    {
        try {
            return TREE_WRITER.writeValueAsString(node);
        }
        catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize a JSON document", e);
        }
    }
}
