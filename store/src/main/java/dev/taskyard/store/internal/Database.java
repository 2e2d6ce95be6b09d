package dev.taskyard.store.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReentrantLock;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import static java.util.Objects.requireNonNull;

/**
 * The SQLite database of a store: one writer connection, used by one thread at a time under a lock, for every
 * transaction that changes data, and a small pool of reader connections (WAL lets them read while the writer writes).
 * Write transactions are {@code BEGIN IMMEDIATE}, so another process using the same file waits for the write lock
 * up to the busy timeout instead of failing half-way. Thread-safe.
 *
 * <p>With PostgreSQL the same shape maps onto a connection pool: every unit of work is one transaction on a pooled
 * connection (the writer lock becomes unnecessary; row locks and {@code FOR UPDATE SKIP LOCKED} take its place).
 */
public final class Database
        implements AutoCloseable
{
    /** A unit of work on a connection. */
    @FunctionalInterface
    public interface Work<T, E extends Exception>
    {
        T run(Connection connection)
                throws SQLException, E;
    }

    /** How the database is opened. */
    public record Settings(Path file, boolean synchronousFull, Duration busyTimeout, int readers)
    {
        public Settings
        {
            requireNonNull(file, "file is null");
            requireNonNull(busyTimeout, "busyTimeout is null");
            if (readers < 1) {
                throw new IllegalArgumentException("readers must be at least 1");
            }
        }
    }

    private final ReentrantLock writeLock = new ReentrantLock();
    private final Connection writer;
    private final BlockingQueue<Connection> readers;
    private final List<Connection> all = new ArrayList<>();

    private Database(Connection writer, List<Connection> readers)
    {
        this.writer = writer;
        this.readers = new ArrayBlockingQueue<>(readers.size(), false, readers);
        all.add(writer);
        all.addAll(readers);
    }

    /** Opens (creating if needed) the database file in WAL mode. */
    public static Database open(Settings settings)
            throws SQLException
    {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(settings.synchronousFull() ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, settings.busyTimeout().toMillis()));
        config.enforceForeignKeys(false);
        SQLiteDataSource source = new SQLiteDataSource(config);
        source.setUrl("jdbc:sqlite:" + settings.file().toAbsolutePath());
        List<Connection> opened = new ArrayList<>();
        try {
            Connection writer = source.getConnection();
            opened.add(writer);
            List<Connection> readers = new ArrayList<>();
            for (int i = 0; i < settings.readers(); i++) {
                Connection reader = source.getConnection();
                opened.add(reader);
                readers.add(reader);
            }
            return new Database(writer, readers);
        }
        catch (SQLException | RuntimeException e) {
            for (Connection connection : opened) {
                try {
                    connection.close();
                }
                catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * Runs {@code work} in one write transaction ({@code BEGIN IMMEDIATE} … {@code COMMIT}); rolls back if it throws.
     * Write transactions of this process run one at a time.
     */
    public <T, E extends Exception> T write(Work<T, E> work)
            throws SQLException, E
    {
        writeLock.lock();
        try {
            try (Statement statement = writer.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
            }
            boolean committed = false;
            try {
                T result = work.run(writer);
                try (Statement statement = writer.createStatement()) {
                    statement.execute("COMMIT");
                }
                committed = true;
                return result;
            }
            finally {
                if (!committed) {
                    rollbackQuietly();
                }
            }
        }
        finally {
            writeLock.unlock();
        }
    }

    /** Runs {@code work} on a reader connection in auto-commit mode (each statement sees the latest commit). */
    public <T, E extends Exception> T read(Work<T, E> work)
            throws SQLException, E
    {
        Connection connection;
        try {
            connection = readers.take();
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a database connection", e);
        }
        try {
            return work.run(connection);
        }
        finally {
            readers.add(connection);
        }
    }

    private void rollbackQuietly()
    {
        try (Statement statement = writer.createStatement()) {
            statement.execute("ROLLBACK");
        }
        catch (SQLException ignored) {
            // no transaction was open (e.g. COMMIT failed and SQLite already rolled back)
        }
    }

    /** Closes every connection; callers must have stopped using the database. */
    @Override
    public void close()
    {
        writeLock.lock();
        try {
            for (Connection connection : all) {
                try {
                    connection.close();
                }
                catch (SQLException ignored) {
                    // closing anyway
                }
            }
        }
        finally {
            writeLock.unlock();
        }
    }
}
