/**
 * The durable task store: {@link dev.taskyard.store.TaskStore} (queue, leases, attempts, results, logs, artifacts)
 * and {@link dev.taskyard.store.SqliteTaskStore}. {@code dev.taskyard.store.internal} is not API and not exported.
 */
module dev.taskyard.store {
    requires transitive dev.taskyard.worker; // a store is the worker's TaskQueue
    requires transitive java.sql;
    requires com.google.common;
    requires org.xerial.sqlitejdbc;

    exports dev.taskyard.store;
}
