package dev.taskyard.store.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.TaskSpec;

/**
 * The lease statements that read the same in SQLite and PostgreSQL, on the {@code tasks} table both stores share
 * column for column: the lease state behind a refused lease and the {@link LeaseLostException} it means, saving a
 * sandbox handle, and the two halves of a reclaim. Each method runs on the caller's connection and leaves
 * transactions to it. Stateless and thread-safe.
 */
public final class LeaseRows
{
    /**
     * Gives every RUNNING run of a worker ({@code lease_worker = ?}, the fourth parameter) with a saved sandbox
     * handle a new token ({@code ? || id}, the first parameter), expiry (the second) and lease duration (the third),
     * unless a cancel is pending; returns the columns {@link #reclaim} reads. A store may wrap it (a {@code WITH}
     * that adds columns).
     */
    public static final String RECLAIM = """
            UPDATE tasks
            SET lease_token = ? || id, lease_expires_at = ?, lease_duration_ms = ?, version = version + 1
            WHERE status = 'RUNNING' AND lease_worker = ? AND sandbox_data IS NOT NULL AND NOT cancel_requested
            RETURNING id, payload, deadline, attempts, lease_token, sandbox_engine, sandbox_data""";

    /** The lease state of a task, for deciding on and diagnosing a refused lease. */
    public record LeaseRow(TaskStatus status, String leaseToken, String resolvedToken, boolean cancelRequested,
            long expiresAt, long durationMillis)
    {
    }

    /** A run {@link #RECLAIM} handed out again: the claim under its new lease and the sandbox handle it saved. */
    public record Reclaimed(Claim claim, SandboxHandle handle)
    {
    }

    private LeaseRows()
    {
    }

    /** The lease state of a task, empty when there is no such task. */
    public static Optional<LeaseRow> find(Connection connection, String taskId)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT status, lease_token, resolved_token, cancel_requested, lease_expires_at, lease_duration_ms "
                        + "FROM tasks WHERE id = ?")) {
            select.setString(1, taskId);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new LeaseRow(TaskStatus.valueOf(rows.getString(1)), rows.getString(2),
                        rows.getString(3), rows.getBoolean(4), rows.getLong(5), rows.getLong(6)));
            }
        }
    }

    /** Why {@code lease} was refused, given the task's lease state ({@link #find}). */
    public static LeaseLostException lost(Optional<LeaseRow> row, Lease lease)
    {
        String task = "task " + lease.taskId();
        if (row.isEmpty()) {
            return new LeaseLostException(LeaseLostException.Reason.RESOLVED, task + " no longer exists");
        }
        LeaseRow state = row.get();
        if (state.cancelRequested() || state.status() == TaskStatus.CANCELED) {
            return new LeaseLostException(LeaseLostException.Reason.CANCELED, task + " was cancelled");
        }
        if (state.status().isTerminal()) {
            return new LeaseLostException(LeaseLostException.Reason.RESOLVED, task + " is already resolved");
        }
        return new LeaseLostException(LeaseLostException.Reason.EXPIRED,
                "the lease of " + task + " attempt " + lease.attempt() + " expired or is no longer the current one");
    }

    /**
     * Stores the sandbox handle in the task's row with one
     * {@code UPDATE … WHERE id = ? AND lease_token = ? AND status = 'RUNNING'}; when that changes no row, reads the
     * lease state to say why (the only other statement, a read).
     *
     * @throws LeaseLostException the lease is not the current one
     */
    public static void saveSandbox(Connection connection, Lease lease, SandboxHandle handle)
            throws SQLException, LeaseLostException
    {
        saveSandbox(connection, lease, handle, null);
    }

    /**
     * {@link #saveSandbox(Connection, Lease, SandboxHandle)}, the update joined with {@code from} (a one-row
     * subquery, {@code UPDATE … FROM from AS extra}) when given, for what the store evaluates in the same statement.
     */
    public static void saveSandbox(Connection connection, Lease lease, SandboxHandle handle, String from)
            throws SQLException, LeaseLostException
    {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE tasks SET sandbox_engine = ?, sandbox_data = ? "
                        + (from == null ? "" : "FROM " + from + " AS extra ")
                        + "WHERE id = ? AND lease_token = ? AND status = 'RUNNING'")) {
            update.setString(1, handle.engine());
            update.setString(2, handle.data());
            update.setString(3, lease.taskId());
            update.setString(4, lease.token());
            if (update.executeUpdate() == 0) {
                throw lost(find(connection, lease.taskId()), lease);
            }
        }
    }

    /**
     * Hands back the RUNNING runs of {@code holder} that never saved a sandbox handle (they cannot be recovered): each
     * task is PENDING again with its attempt reused, unless a cancel is pending. The caller discards their logs and
     * artifacts.
     *
     * @return the leases handed back (the attempt each one had; the token is a placeholder)
     */
    public static List<Lease> handBackUnsaved(Connection connection, String holder, Instant expiry)
            throws SQLException
    {
        List<Lease> handedBack = new ArrayList<>();
        try (PreparedStatement update = connection.prepareStatement("""
                UPDATE tasks
                SET status = 'PENDING', attempts = attempts - 1, lease_token = NULL, lease_expires_at = NULL, \
                lease_worker = NULL,
                    lease_duration_ms = NULL, started_at = NULL, progress = 0, version = version + 1
                WHERE status = 'RUNNING' AND lease_worker = ? AND sandbox_data IS NULL AND NOT cancel_requested \
                AND attempts > 0
                RETURNING id, attempts""")) {
            update.setString(1, holder);
            try (ResultSet rows = update.executeQuery()) {
                while (rows.next()) {
                    handedBack.add(new Lease(rows.getString("id"), rows.getInt("attempts"), "handed-back", expiry));
                }
            }
        }
        return handedBack;
    }

    /**
     * Runs {@code statement} ({@link #RECLAIM}, or a statement around it with the same parameters first) for the runs
     * of {@code holder}, handing each out again under a token made of {@code tokenPrefix} and its id.
     *
     * @param columns reads what a wrapping statement adds to each row (nothing for {@link #RECLAIM} itself)
     */
    public static <T> List<T> reclaim(Connection connection, String statement, String holder, String tokenPrefix,
            long expiry, long leaseMillis, RowReader<T> columns)
            throws SQLException
    {
        List<T> found = new ArrayList<>();
        try (PreparedStatement update = connection.prepareStatement(statement)) {
            update.setString(1, tokenPrefix);
            update.setLong(2, expiry);
            update.setLong(3, leaseMillis);
            update.setString(4, holder);
            try (ResultSet rows = update.executeQuery()) {
                while (rows.next()) {
                    Reclaimed run = new Reclaimed(claim(rows, expiry),
                            new SandboxHandle(rows.getString("sandbox_engine"), rows.getString("sandbox_data")));
                    found.add(columns.read(run, rows));
                }
            }
        }
        return found;
    }

    /**
     * The claim of a row just handed out, from its {@code id, payload, deadline, attempts, lease_token} (the lease of
     * hand-out n has attempt n-1) and the expiry the statement set.
     */
    public static Claim claim(ResultSet rows, long expiry)
            throws SQLException
    {
        String id = rows.getString("id");
        TaskSpec spec = new TaskSpec(id, TaskRows.parse(rows.getString("payload")), TaskRows.millis(rows, "deadline"));
        Lease lease = new Lease(id, rows.getInt("attempts") - 1, rows.getString("lease_token"),
                Instant.ofEpochMilli(expiry));
        return new Claim(spec, lease);
    }

    /** Reads a row {@link #reclaim} returned, with what its statement added. */
    @FunctionalInterface
    public interface RowReader<T>
    {
        T read(Reclaimed run, ResultSet rows)
                throws SQLException;
    }
}
