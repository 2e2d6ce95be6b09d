package dev.taskyard.store.postgres.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Optional;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Runs units of work in transactions on pooled connections, retrying with backoff while the database is unreachable
 * (restarting, failing over, a broken connection) for up to {@code retryFor}. A unit that is not idempotent is only
 * retried when it never reached the database (no connection could be had); an idempotent one also when the connection
 * broke during it, since running it again gives the same outcome. Thread-safe.
 */
public final class Retrying
{
    /** A unit of work in one transaction. */
    @FunctionalInterface
    public interface Work<T>
    {
        T run(Connection connection)
                throws SQLException, Exception;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Retrying.class);

    private final DataSource pool;
    private final Duration retryFor;

    public Retrying(DataSource pool, Duration retryFor)
    {
        this.pool = requireNonNull(pool, "pool is null");
        this.retryFor = requireNonNull(retryFor, "retryFor is null");
    }

    /**
     * Runs {@code work} in a transaction (committed when it returns, rolled back when it throws).
     *
     * @throws SQLException the database stayed unreachable for {@code retryFor}, or the work failed
     * @throws Exception what the work threw
     */
    public <T> T transaction(String what, boolean idempotent, Work<T> work)
            throws Exception
    {
        return run(what, idempotent, true, work);
    }

    /**
     * Runs {@code work} with auto-commit on: each statement commits by itself, one round trip instead of the three of
     * a transaction (begin with the statement, the statement's result, commit). Only for units that write with at
     * most one statement and otherwise read: under read committed, which the store uses, a transaction gives reads no
     * common snapshot either, so such a unit means the same either way.
     *
     * @throws SQLException the database stayed unreachable for {@code retryFor}, or the work failed
     * @throws Exception what the work threw
     */
    public <T> T singleWrite(String what, boolean idempotent, Work<T> work)
            throws Exception
    {
        return run(what, idempotent, false, work);
    }

    /**
     * Runs a combined write (several callers' requests as one statement, see {@link Combiner}) like
     * {@link #singleWrite}; a failure that is not the connection's rolled the statement back whole and may belong to
     * any one request, so it gives empty: every request then runs alone, and its own statement tells whose it was.
     *
     * @throws SQLException the database stayed unreachable for {@code retryFor}
     * @throws Exception what the work threw otherwise
     */
    public <T> Optional<T> combinedWrite(String what, boolean idempotent, Work<T> work)
            throws Exception
    {
        try {
            return Optional.of(singleWrite(what, idempotent, work));
        }
        catch (SQLException e) {
            if (isConnectionFailure(e)) {
                throw e;
            }
            LOG.debug("{}: the combined write failed; each request runs alone: {}", what, e.getMessage());
            return Optional.empty();
        }
    }

    private <T> T run(String what, boolean idempotent, boolean transaction, Work<T> work)
            throws Exception
    {
        long deadline = System.nanoTime() + retryFor.toNanos();
        long backoff = 50;
        int tries = 0;
        while (true) {
            tries++;
            boolean connected = false;
            try (Connection connection = pool.getConnection()) {
                connected = true;
                connection.setAutoCommit(!transaction);
                try {
                    T result = work.run(connection);
                    if (transaction) {
                        connection.commit();
                    }
                    if (tries > 1) {
                        LOG.info("{}: succeeded after {} tries", what, tries);
                    }
                    return result;
                }
                catch (Exception e) {
                    if (transaction) {
                        rollbackQuietly(connection);
                    }
                    throw e;
                }
            }
            catch (SQLException e) {
                boolean retryable = isConnectionFailure(e) && (idempotent || !connected);
                if (!retryable || System.nanoTime() + backoff * 1_000_000 > deadline) {
                    throw e;
                }
                LOG.warn("{}: the database is unreachable; retrying in {} ms: {}", what, backoff, e.getMessage());
                Thread.sleep(backoff);
                backoff = Math.min(2_000, backoff * 2);
            }
        }
    }

    /**
     * Whether the failure is the connection's (SQL state class 08, the server shutting down) rather than the work's.
     */
    public static boolean isConnectionFailure(SQLException e)
    {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void rollbackQuietly(Connection connection)
    {
        try {
            connection.rollback();
        }
        catch (SQLException ignored) {
            // the connection is broken; the pool discards it
        }
    }
}
