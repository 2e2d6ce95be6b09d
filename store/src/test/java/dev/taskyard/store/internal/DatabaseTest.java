package dev.taskyard.store.internal;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Group commit: concurrent writes share one transaction, and a failing unit fails alone. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DatabaseTest
{
    @TempDir
    Path folder;

    private Database database;
    private ExecutorService threads;

    @BeforeEach
    void open()
            throws Exception
    {
        database = Database.open(new Database.Settings(folder.resolve("test.db"), true, Duration.ofSeconds(5), 2));
        database.write(connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(64) NOT NULL)");
            }
            return null;
        });
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void close()
    {
        threads.shutdownNow();
        database.close();
    }

    @Test
    void waitingWritesCommitTogetherAndAFailingOneFailsAlone()
            throws Exception
    {
        CountDownLatch blocking = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long[] before = database.batchStatistics();
        Future<Object> first = threads.submit(() -> database.write(connection -> {
            insert(connection, 1);
            blocking.countDown();
            release.await();
            return null;
        }));
        assertThat(blocking.await(1, TimeUnit.MINUTES)).isTrue();
        // while the writer thread runs the first unit, ten more queue up; the sixth fails (duplicate key 1)
        List<Future<Integer>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int id = i == 5 ? 1 : 100 + i;
            queued.add(threads.submit(() -> database.write(connection -> {
                insert(connection, id + 1000); // a change that must be undone with the failing unit
                insert(connection, id);
                return id;
            })));
        }
        while (database.queued() < 10) {
            Thread.sleep(5);
        }
        release.countDown();
        first.get(1, TimeUnit.MINUTES);
        for (int i = 0; i < 10; i++) {
            Future<Integer> future = queued.get(i);
            if (i == 5) {
                assertThatThrownBy(() -> future.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(SQLException.class);
            }
            else {
                assertThat(future.get(1, TimeUnit.MINUTES)).isEqualTo(100 + i);
            }
        }
        long[] after = database.batchStatistics();
        assertThat(after[0] - before[0]).as("transactions").isEqualTo(2);
        assertThat(after[1] - before[1]).as("units").isEqualTo(11);
        assertThat(ids()).hasSize(19).contains(1L, 100L, 109L, 1100L).doesNotContain(1001L, 105L);
    }

    @Test
    void checkedExceptionsOfAUnitReachItsCaller()
    {
        class Refused
                extends Exception {}
        assertThatThrownBy(() -> database.write(connection -> {
            insert(connection, 7);
            throw new Refused();
        })).isInstanceOf(Refused.class);
        assertThat(ids()).isEmpty();
    }

    @Test
    void nestedWritesJoinTheOuterTransaction()
            throws Exception
    {
        database.write(connection -> {
            insert(connection, 1);
            return database.write(inner -> {
                insert(inner, 2);
                return null;
            });
        });
        assertThat(ids()).containsExactly(1L, 2L);
    }

    @Test
    void writesAfterCloseFail()
    {
        database.close();
        assertThatThrownBy(() -> database.write(connection -> null)).isInstanceOf(SQLException.class)
                .hasMessageContaining("closed");
    }

    private static void insert(java.sql.Connection connection, long id)
            throws SQLException
    {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO items (id, name) VALUES (?, 'x')")) {
            insert.setLong(1, id);
            insert.executeUpdate();
        }
    }

    private List<Long> ids()
    {
        try {
            return database.read(connection -> {
                List<Long> ids = new ArrayList<>();
                try (Statement select = connection.createStatement(); ResultSet rows =
                        select.executeQuery("SELECT id FROM items ORDER BY id")) {
                    while (rows.next()) {
                        ids.add(rows.getLong(1));
                    }
                }
                return ids;
            });
        }
        catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
