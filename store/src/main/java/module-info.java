/**
 * The durable task store: {@link dev.taskyard.store.TaskStore} (queue, leases, attempts, results, logs, artifacts)
 * and {@link dev.taskyard.store.SqliteTaskStore}. {@code dev.taskyard.store.internal} (row mapping, ids, page tokens,
 * canonical JSON, change listeners and cancel watches) is not API: it is exported to the PostgreSQL store only, which
 * shares that logic with the SQLite store.
 */
module dev.taskyard.store {
    requires transitive dev.taskyard.worker; // a store is the worker's TaskQueue
    requires transitive java.sql;
    requires com.google.common;
    requires org.xerial.sqlitejdbc;

    exports dev.taskyard.store;
    exports dev.taskyard.store.internal to dev.taskyard.store.postgres;
}
