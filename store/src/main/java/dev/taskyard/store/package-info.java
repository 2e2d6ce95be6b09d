/**
 * The durable task store of the embedded distribution: {@link dev.taskyard.store.TaskStore} and its SQLite
 * implementation {@link dev.taskyard.store.SqliteTaskStore}.
 *
 * <p>Data folder layout:
 * <pre>
 * taskyard.db                      SQLite, WAL: tables tasks, task_logs, artifacts, schema_version
 * logs/&lt;taskId&gt;/&lt;runId&gt;.log        the log of one run, appended as it runs, forced to disk when closed
 * artifacts/&lt;taskId&gt;/&lt;runId&gt;/*.bin artifact contents under generated names; the artifacts table maps names
 * to them
 * </pre>
 *
 * <p>The schema uses plain types (times are epoch milliseconds in BIGINT columns) and the statements avoid
 * SQLite-only syntax ({@code UPDATE … RETURNING}, {@code ON CONFLICT DO NOTHING}, {@code ||} and {@code LIMIT ?} are
 * PostgreSQL too), so that a PostgreSQL implementation can share them; where PostgreSQL needs row locks
 * ({@code FOR UPDATE SKIP LOCKED} in the claim) the code says so.
 */
package dev.taskyard.store;
