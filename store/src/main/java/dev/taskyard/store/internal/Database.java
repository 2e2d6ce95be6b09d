package dev.taskyard.store.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import static java.util.Objects.requireNonNull;

/**
 * The SQLite database of a store: one writer connection, owned by a single writer thread that runs every
 * transaction that changes data, and a small pool of reader connections (WAL lets them read while the writer writes).
 *
 * <p>Group commit: {@link #write} hands its unit of work to the writer thread and blocks until the work is durable.
 * The writer thread takes every unit waiting (up to {@value #MAX_BATCH}), runs them in one {@code BEGIN IMMEDIATE}
 * transaction, each inside its own {@code SAVEPOINT}, and commits once: one fsync for the whole batch. Errors stay per
 * unit: a unit that throws is rolled back to its savepoint and its caller gets the exception, while the other units
 * of the batch commit. Only a failure of the transaction itself ({@code BEGIN}, a savepoint, {@code COMMIT}) fails
 * every unit of the batch, and then nothing of it was committed. Durability is unchanged: a unit's {@code write}
 * returns only after the {@code COMMIT} of its batch returned (with {@code synchronous=FULL}, after the WAL fsync).
 * Another process using the same file waits for the write lock up to the busy timeout ({@code BEGIN IMMEDIATE}).
 *
 * <p>The connection units get caches prepared statements by SQL (see {@code units()}).
 *
 * <p>Units must not block on anything but the database (they run one after another on the writer thread) and must
 * tolerate that their Java side effects stay when the batch's commit fails. A unit that calls {@link #write} itself
 * runs the nested work inline in its own transaction. Thread-safe.
 *
 * <p>With PostgreSQL the same shape maps onto a connection pool: every unit of work is one transaction on a pooled
 * connection (the writer thread becomes unnecessary; row locks and {@code FOR UPDATE SKIP LOCKED} take its place).
 */
public final class Database
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    /** The most units of work committed in one transaction, which bounds the latency a batch adds. */
    static final int MAX_BATCH = 256;

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

    /** A unit of work waiting for (or done by) the writer thread. */
    private static final class Unit
    {
        final Work<?, ?> work;
        final CountDownLatch done = new CountDownLatch(1);
        Object result;
        Throwable failure;

        Unit(Work<?, ?> work)
        {
            this.work = work;
        }
    }

    private static final Unit STOP = new Unit(connection -> null);

    private final Connection writer;
    /** The writer with cached prepared statements; used by the writer thread only. */
    private final Connection cachingWriter;
    private final BlockingQueue<Connection> readers;
    private final List<Connection> all = new ArrayList<>();
    private final LinkedBlockingQueue<Unit> pending = new LinkedBlockingQueue<>();
    private final Thread writerThread;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong units = new AtomicLong();
    private volatile boolean closed;

    private Database(Connection writer, List<Connection> readers, String name)
    {
        this.writer = writer;
        this.cachingWriter = caching(writer);
        this.readers = new ArrayBlockingQueue<>(readers.size(), false, readers);
        all.add(writer);
        all.addAll(readers);
        writerThread = new Thread(this::runWriter, "taskyard-store-writer " + name);
        writerThread.setDaemon(true);
        writerThread.start();
    }

    /** Opens (creating if needed) the database file in WAL mode and starts its writer thread. */
    public static Database open(Settings settings)
            throws SQLException
    {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(settings.synchronousFull() ? SQLiteConfig.SynchronousMode.FULL
                : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, settings.busyTimeout().toMillis()));
        config.enforceForeignKeys(false);
        config.setGetGeneratedKeys(false); // nothing reads generated keys; fetching them costs a query per insert
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
            return new Database(writer, readers, settings.file().getFileName().toString());
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
     * Runs {@code work} in a write transaction on the writer thread, possibly together with other callers' work (see
     * the class comment), and returns its result once that transaction is committed. If {@code work} throws, its
     * changes are rolled back and the exception is rethrown here; the caller's interrupt status is kept but does not
     * abandon the work (once handed over, it may commit).
     *
     * @throws SQLException the work failed, or the batch's transaction could not be begun or committed, or the
     *         database is closed
     */
    @SuppressWarnings("unchecked")
    public <T, E extends Exception> T write(Work<T, E> work)
            throws SQLException, E
    {
        requireNonNull(work, "work is null");
        if (Thread.currentThread() == writerThread) {
            return work.run(units()); // nested in a unit of the current batch: part of its transaction
        }
        if (closed) {
            throw new SQLException("the database is closed");
        }
        Unit unit = new Unit(work);
        pending.add(unit);
        if (closed && pending.remove(unit)) {
            throw new SQLException("the database is closed");
        }
        boolean interrupted = false;
        while (true) {
            try {
                unit.done.await();
                break;
            }
            catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable failure = unit.failure;
        if (failure == null) {
            return (T) unit.result;
        }
        if (failure instanceof SQLException sql) {
            throw sql;
        }
        if (failure instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (failure instanceof Error error) {
            throw error;
        }
        throw (E) failure; // the only checked exceptions a Work throws are SQLException and E
    }

    /**
     * The writer connection as units see it: {@code prepareStatement(sql)} hands out the statement prepared for that
     * SQL earlier (compiling SQL cost more than running most units), whose {@code close()} only clears its parameters.
     * Only the writer thread uses it, so one cached statement per SQL is never in use by two units; within a unit, the
     * same SQL must not be prepared again while a result set of it is open (no unit does), and result sets must be
     * closed (they are, with try-with-resources) so that each statement is reset before the commit.
     */
    private Connection units()
    {
        return cachingWriter;
    }

    private static Connection caching(Connection connection)
    {
        Map<String, PreparedStatement> statements = new HashMap<>();
        ClassLoader loader = Database.class.getClassLoader();
        return (Connection) Proxy.newProxyInstance(loader, new Class<?>[] {Connection.class},
                (proxy, method, arguments) -> {
            if (method.getName().equals("prepareStatement") && arguments != null && arguments.length == 1
                    && arguments[0] instanceof String sql) {
                PreparedStatement cached = statements.get(sql);
                if (cached == null || cached.isClosed()) {
                    cached = connection.prepareStatement(sql);
                    statements.put(sql, cached);
                }
                PreparedStatement statement = cached;
                return Proxy.newProxyInstance(loader, new Class<?>[] {PreparedStatement.class},
                        (inner, call, values) -> {
                    if (call.getName().equals("close") && call.getParameterCount() == 0) {
                        statement.clearParameters();
                        return null;
                    }
                    return invoke(call, statement, values);
                });
            }
            return invoke(method, connection, arguments);
        });
    }

    private static Object invoke(Method method, Object target, Object[] arguments)
            throws Throwable
    {
        try {
            return method.invoke(target, arguments);
        }
        catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Committed batches and units so far (for tests and diagnostics). */
    public long[] batchStatistics()
    {
        return new long[] {batches.get(), units.get()};
    }

    /** Units handed over and not yet taken by the writer thread. */
    int queued()
    {
        return pending.size();
    }

    private void runWriter()
    {
        List<Unit> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            Unit first;
            try {
                first = pending.take();
            }
            catch (InterruptedException e) {
                continue; // only close() stops the writer, with STOP
            }
            batch.add(first);
            pending.drainTo(batch, MAX_BATCH - 1);
            boolean stop = batch.remove(STOP);
            if (!batch.isEmpty()) {
                runBatch(batch);
            }
            batch.clear();
            if (stop) {
                break;
            }
        }
        List<Unit> left = new ArrayList<>();
        pending.drainTo(left);
        for (Unit unit : left) {
            if (unit != STOP) {
                unit.failure = new SQLException("the database is closed");
                unit.done.countDown();
            }
        }
    }

    private void runBatch(List<Unit> batch)
    {
        try {
            units().prepareStatement("BEGIN IMMEDIATE").execute();
            boolean committed = false;
            try {
                for (Unit unit : batch) {
                    units().prepareStatement("SAVEPOINT unit").execute();
                    try {
                        unit.result = unit.work.run(units());
                        units().prepareStatement("RELEASE unit").execute();
                    }
                    catch (Exception | Error e) {
                        unit.failure = e;
                        // undoes this unit only; if even that fails, the transaction is broken and the batch fails
                        units().prepareStatement("ROLLBACK TO unit").execute();
                        units().prepareStatement("RELEASE unit").execute();
                    }
                }
                units().prepareStatement("COMMIT").execute();
                committed = true;
            }
            finally {
                if (!committed) {
                    rollbackQuietly();
                }
            }
        }
        catch (SQLException | RuntimeException e) {
            LOG.warn("a write transaction of {} units failed: {}", batch.size(), e.toString());
            for (Unit unit : batch) {
                unit.result = null;
                if (unit.failure == null) { // a unit that failed on its own keeps its own error
                    unit.failure = new SQLException("the write transaction failed: " + e.getMessage(), e);
                }
            }
        }
        batches.incrementAndGet();
        units.addAndGet(batch.size());
        for (Unit unit : batch) {
            unit.done.countDown();
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

    /**
     * Lets the writer thread finish the units handed over so far, fails later ones, and closes every connection;
     * callers must have stopped reading. Idempotent.
     */
    @Override
    public void close()
    {
        if (closed) {
            return;
        }
        closed = true;
        pending.add(STOP);
        boolean interrupted = false;
        while (writerThread.isAlive() && Thread.currentThread() != writerThread) {
            try {
                writerThread.join();
            }
            catch (InterruptedException e) {
                interrupted = true;
            }
        }
        for (Connection connection : all) {
            try {
                connection.close();
            }
            catch (SQLException ignored) {
                // closing anyway
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
