package dev.taskyard.store.postgres;

import dev.taskyard.store.TaskStore;
import dev.taskyard.store.testkit.TaskStoreContract;

/** The store contract on a real PostgreSQL: each test gets a fresh schema, every instance of a test opens it. */
class PostgresTaskStoreContractTest
        extends TaskStoreContract
{
    private PostgresTestDatabase database;
    private String schema;

    @Override
    protected void createDatabase()
    {
        database = PostgresTestDatabase.require();
        schema = database.newSchema("contract");
    }

    @Override
    protected TaskStore openStore(StoreSettings settings)
            throws Exception
    {
        return database.store(schema)
                .clock(settings.clock())
                .maxAttempts(settings.maxAttempts())
                .maxPendingTasks(settings.maxPendingTasks())
                .retention(settings.retention())
                .open();
    }

    @Override
    protected int purgeExpired(TaskStore store)
            throws Exception
    {
        return ((PostgresTaskStore) store).purgeExpired();
    }

    @Override
    protected void dropDatabase()
            throws Exception
    {
        if (schema != null) {
            database.dropSchema(schema);
        }
    }

    @Override
    protected boolean supports(Behavior behavior)
    {
        return behavior == Behavior.CROSS_INSTANCE_LISTENERS;
    }
}
