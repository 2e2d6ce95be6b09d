package dev.taskyard.store.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.taskyard.store.SqliteTaskStore;
import dev.taskyard.store.TaskStore;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on SQLite: every instance of a test opens the same data folder, as several processes would. */
class SqliteTaskStoreContractTest
        extends TaskStoreContract
{
    @TempDir
    Path root;

    private Path folder;
    private int databases;

    @Override
    protected void createDatabase()
            throws Exception
    {
        folder = Files.createDirectories(root.resolve("store-" + databases++));
    }

    @Override
    protected TaskStore openStore(StoreSettings settings)
            throws Exception
    {
        return SqliteTaskStore.Options.builder(folder)
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
        return ((SqliteTaskStore) store).purgeExpired();
    }
}
