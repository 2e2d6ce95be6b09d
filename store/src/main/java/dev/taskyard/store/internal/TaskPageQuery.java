package dev.taskyard.store.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.taskyard.store.TaskPage;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;

import static java.util.Objects.requireNonNull;

/**
 * One page of {@code TaskStore.list}, the same SQL in SQLite and PostgreSQL: newest first by (created_at, id), the
 * page after the cursor of {@link PageTokens}, one row more than the page to learn whether another page follows.
 * Immutable and thread-safe; {@link #read} uses the caller's connection.
 *
 * @param status only tasks in this status, or all
 * @param pageSize at most this many tasks, at least 1
 * @param cursor where the previous page ended, or the first page
 */
public record TaskPageQuery(Optional<TaskStatus> status, int pageSize, Optional<PageTokens.Cursor> cursor)
{
    public TaskPageQuery
    {
        requireNonNull(status, "status is null");
        requireNonNull(cursor, "cursor is null");
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be at least 1");
        }
    }

    /**
     * The query for {@code TaskStore.list}'s arguments.
     *
     * @throws IllegalArgumentException the page size is below 1, or the token was not made by {@link PageTokens}
     */
    public static TaskPageQuery of(Optional<TaskStatus> status, int pageSize, Optional<String> pageToken)
    {
        requireNonNull(status, "status is null");
        requireNonNull(pageToken, "pageToken is null");
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be at least 1");
        }
        return new TaskPageQuery(status, pageSize, pageToken.map(PageTokens::decode));
    }

    /** Reads the page (one statement) on {@code connection}. */
    public TaskPage read(Connection connection)
            throws SQLException
    {
        StringBuilder sql = new StringBuilder("SELECT " + TaskRows.COLUMNS + " FROM tasks WHERE 1 = 1");
        status.ifPresent(s -> sql.append(" AND status = ?"));
        cursor.ifPresent(c -> sql.append(" AND (created_at, id) < (?, ?)"));
        sql.append(" ORDER BY created_at DESC, id DESC LIMIT ?");
        List<TaskRecord> tasks = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(sql.toString())) {
            int index = 1;
            if (status.isPresent()) {
                select.setString(index++, status.get().name());
            }
            if (cursor.isPresent()) {
                select.setLong(index++, cursor.get().createdAt());
                select.setString(index++, cursor.get().taskId());
            }
            select.setInt(index, pageSize + 1);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    tasks.add(TaskRows.record(rows));
                }
            }
        }
        if (tasks.size() <= pageSize) {
            return new TaskPage(tasks, Optional.empty());
        }
        TaskRecord last = tasks.get(pageSize - 1);
        return new TaskPage(tasks.subList(0, pageSize),
                Optional.of(PageTokens.encode(new PageTokens.Cursor(last.createdAt().toEpochMilli(), last.taskId()))));
    }
}
