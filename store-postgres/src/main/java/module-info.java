/**
 * The task store on PostgreSQL: {@link dev.taskyard.store.postgres.PostgresTaskStore}, shared by any number of
 * taskyard servers. {@code dev.taskyard.store.postgres.internal} (log and artifact rows, notifications, retries) is
 * not API and not exported. It builds on the SQLite store's row mapping, page tokens, ids, canonical JSON and change
 * listeners, which the store module exports to this module only.
 */
module dev.taskyard.store.postgres {
    requires transitive dev.taskyard.store; // the exported store implements TaskStore
    requires com.zaxxer.hikari;
    requires org.postgresql.jdbc;
    requires flyway.core; // the jar has no module name of its own: the name derives from the file name

    exports dev.taskyard.store.postgres;
}
