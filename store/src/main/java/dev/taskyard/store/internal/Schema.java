package dev.taskyard.store.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The tables of a store. Plain types only (VARCHAR, TEXT, INTEGER, BIGINT; times are epoch milliseconds) so that the
 * same DDL runs on PostgreSQL.
 *
 * <p>{@code tasks.attempts} counts how often the task was handed out; the lease of hand-out n has attempt n-1.
 * {@code resolved_token} is the lease token the task was resolved with, which makes a repeated resolution a no-op.
 * {@code exit_code} (version 2) is the exit code of the resolved run's main process, when it ended with one.
 * {@code sandbox_engine} and {@code sandbox_data} (version 3) are the sandbox handle the current lease's worker
 * saved, so that it can re-attach to the sandbox after a restart; cleared whenever the task is handed out or
 * handed back.
 */
public final class Schema
{
    public static final int VERSION = 3;

    private static final List<String> DDL = List.of(
            """
            CREATE TABLE IF NOT EXISTS tasks (
                id VARCHAR(64) NOT NULL PRIMARY KEY,
                payload TEXT NOT NULL,
                status VARCHAR(16) NOT NULL,
                created_at BIGINT NOT NULL,
                started_at BIGINT,
                completed_at BIGINT,
                attempts INTEGER NOT NULL,
                lease_token VARCHAR(128),
                lease_expires_at BIGINT,
                lease_worker VARCHAR(512),
                lease_duration_ms BIGINT,
                resolved_token VARCHAR(128),
                progress INTEGER NOT NULL,
                result TEXT,
                error_reason VARCHAR(64),
                error_title TEXT,
                error_detail TEXT,
                version BIGINT NOT NULL,
                idempotency_key VARCHAR(512) UNIQUE,
                payload_hash VARCHAR(64),
                deadline BIGINT,
                cancel_requested INTEGER NOT NULL,
                exit_code INTEGER,
                sandbox_engine VARCHAR(64),
                sandbox_data TEXT
            )""",
            "CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (status, created_at, id)",
            "CREATE INDEX IF NOT EXISTS tasks_by_creation ON tasks (created_at, id)",
            "CREATE INDEX IF NOT EXISTS tasks_by_lease ON tasks (status, lease_expires_at)",
            "CREATE INDEX IF NOT EXISTS tasks_by_completion ON tasks (status, completed_at)",
            """
            CREATE TABLE IF NOT EXISTS task_logs (
                task_id VARCHAR(64) NOT NULL,
                run_id VARCHAR(64) NOT NULL,
                file VARCHAR(512) NOT NULL,
                size BIGINT NOT NULL,
                closed INTEGER NOT NULL,
                PRIMARY KEY (task_id, run_id)
            )""",
            """
            CREATE TABLE IF NOT EXISTS artifacts (
                task_id VARCHAR(64) NOT NULL,
                run_id VARCHAR(64) NOT NULL,
                name VARCHAR(1024) NOT NULL,
                file VARCHAR(512),
                size BIGINT NOT NULL,
                error_reason VARCHAR(128),
                error_message TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (task_id, run_id, name)
            )""",
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");

    private Schema()
    {
    }

    /** Creates the tables if needed; run inside a write transaction. */
    public static void create(Connection connection)
            throws SQLException
    {
        try (Statement statement = connection.createStatement()) {
            for (String ddl : DDL) {
                statement.execute(ddl);
            }
            try (var rows = statement.executeQuery("SELECT version FROM schema_version")) {
                if (!rows.next()) {
                    statement.execute("INSERT INTO schema_version (version) VALUES (" + VERSION + ")");
                }
                else {
                    int version = rows.getInt(1);
                    rows.close();
                    if (version < 1 || version > VERSION) {
                        throw new SQLException("unsupported schema version " + version
                                + ", expected at most " + VERSION);
                    }
                    if (version < 2) {
                        // version 2 added the exit code of the task's main process
                        statement.execute("ALTER TABLE tasks ADD COLUMN exit_code INTEGER");
                    }
                    if (version < 3) {
                        // version 3 added the saved sandbox handle of the current lease
                        statement.execute("ALTER TABLE tasks ADD COLUMN sandbox_engine VARCHAR(64)");
                        statement.execute("ALTER TABLE tasks ADD COLUMN sandbox_data TEXT");
                    }
                    if (version < VERSION) {
                        statement.execute("UPDATE schema_version SET version = " + VERSION);
                    }
                }
            }
        }
    }
}
