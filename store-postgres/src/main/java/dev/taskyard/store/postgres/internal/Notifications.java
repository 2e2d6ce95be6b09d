package dev.taskyard.store.postgres.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import javax.sql.DataSource;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Hints between the store instances sharing one database, over {@code LISTEN/NOTIFY} on one channel.
 *
 * <p>Sending: {@link #send} only queues an event; a sender thread sends the queued events in batches (duplicates
 * dropped, payloads below PostgreSQL's 8,000-byte limit), gathering for {@value #LINGER_MILLIS} ms after the first
 * event of a batch (one statement per batch: fewer round trips and commits; the other nodes hear of a change that
 * much later, well within their polling backstop) through {@code pg_notify} outside of the data transactions,
 * so that notifying never serializes the commits of tasks (NOTIFY takes a global lock at commit). Events are hints:
 * one may be lost (the database restarts between a commit and its hint), so every waiter also polls as a backstop.
 *
 * <p>Receiving: a listener thread holds its own connection (not from the pool) with {@code LISTEN}, hands the events
 * of other instances to the {@link Handler} (never an instance's own events: it handled them locally), and
 * reconnects with backoff when the connection breaks, then calls {@link Handler#resync()} because events may have been
 * missed meanwhile.
 *
 * <p>Events are short strings: a kind letter, then a task id if any. Thread-safe.
 */
public final class Notifications
        implements AutoCloseable
{
    /** What the receiving side does with events. Called on the listener thread; must not block for long. */
    public interface Handler
    {
        void event(char kind, String taskId);

        /** Events may have been missed (the listening connection was lost and is back): re-check everything. */
        void resync();
    }

    private static final Logger LOG = LoggerFactory.getLogger(Notifications.class);
    private static final int MAX_PAYLOAD = 7_000;
    /** How long the sender gathers events after the first one before it sends them (hints are not urgent). */
    private static final long LINGER_MILLIS = 5;

    private final String channel;
    private final String instance = UUID.randomUUID().toString().substring(0, 8);
    private final DataSource pool;
    private final String url;
    private final Properties credentials;
    private final Handler handler;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition queued = lock.newCondition();
    private Set<String> pending = new LinkedHashSet<>();
    private final Thread sender;
    private final Thread listener;
    private volatile boolean closed;
    private volatile Connection listening;

    /**
     * Starts listening (returns once {@code LISTEN} is in place, so that no later event is missed) and sending.
     *
     * @throws SQLException the listening connection cannot be opened
     */
    public Notifications(String channel, DataSource pool, String url, Properties credentials, Handler handler)
            throws SQLException
    {
        this.channel = requireNonNull(channel, "channel is null");
        this.pool = requireNonNull(pool, "pool is null");
        this.url = requireNonNull(url, "url is null");
        this.credentials = requireNonNull(credentials, "credentials is null");
        this.handler = requireNonNull(handler, "handler is null");
        listening = listen();
        sender = new Thread(this::sendLoop, "taskyard-pg-notify");
        sender.setDaemon(true);
        listener = new Thread(this::listenLoop, "taskyard-pg-listen");
        listener.setDaemon(true);
        sender.start();
        listener.start();
    }

    /** Queues an event for the other instances. */
    public void send(char kind, String taskId)
    {
        String event = taskId == null ? String.valueOf(kind) : kind + taskId;
        lock.lock();
        try {
            if (pending.add(event) && pending.size() == 1) {
                queued.signal();
            }
        }
        finally {
            lock.unlock();
        }
    }

    private Connection listen()
            throws SQLException
    {
        Connection connection = DriverManager.getConnection(url, credentials);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN " + channel);
        }
        catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    private void listenLoop()
    {
        long backoff = 100;
        while (!closed) {
            Connection connection = listening;
            try {
                if (connection == null) {
                    connection = listen();
                    listening = connection;
                    LOG.info("listening for other nodes' events again on channel {}", channel);
                    backoff = 100;
                    handler.resync();
                }
                PGNotification[] notifications = connection.unwrap(PGConnection.class).getNotifications(100);
                if (notifications != null) {
                    for (PGNotification notification : notifications) {
                        dispatch(notification.getParameter());
                    }
                }
            }
            catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                LOG.warn("the connection listening for other nodes' events failed; reconnecting in {} ms: {}", backoff,
                        e.toString());
                closeQuietly(connection);
                listening = null;
                sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
            }
        }
    }

    private void dispatch(String payload)
    {
        int bar = payload.indexOf('|');
        if (bar < 0 || payload.substring(0, bar).equals(instance)) {
            return;
        }
        for (String event : payload.substring(bar + 1).split(" ")) {
            if (event.isEmpty()) {
                continue;
            }
            try {
                handler.event(event.charAt(0), event.length() > 1 ? event.substring(1) : null);
            }
            catch (RuntimeException e) {
                LOG.warn("handling the event {} failed", event, e);
            }
        }
    }

    private void sendLoop()
    {
        long backoff = 100;
        Set<String> batch = Set.of();
        while (!closed) {
            if (batch.isEmpty()) {
                lock.lock();
                try {
                    while (pending.isEmpty() && !closed) {
                        queued.awaitUninterruptibly();
                    }
                    // gather what the next few milliseconds queue into the same notification (one statement)
                    long linger = TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS);
                    while (linger > 0 && !closed) {
                        try {
                            linger = queued.awaitNanos(linger);
                        }
                        catch (InterruptedException e) {
                            break; // closing
                        }
                    }
                    batch = pending;
                    pending = new LinkedHashSet<>();
                }
                finally {
                    lock.unlock();
                }
            }
            if (closed) {
                return;
            }
            try (Connection connection = pool.getConnection();
                 PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                for (String payload : payloads(batch)) {
                    notify.setString(1, channel);
                    notify.setString(2, payload);
                    notify.execute();
                }
                batch = Set.of();
                backoff = 100;
            }
            catch (SQLException | RuntimeException e) {
                if (closed) {
                    return;
                }
                // the hints are kept and sent once the database is back; waiters poll meanwhile
                LOG.warn("sending {} events to other nodes failed; retrying in {} ms: {}",
                        batch.size(), backoff, e.toString());
                sleep(backoff);
                backoff = Math.min(5_000, backoff * 2);
                lock.lock();
                try {
                    batch.addAll(pending);
                    pending = new LinkedHashSet<>();
                }
                finally {
                    lock.unlock();
                }
            }
        }
    }

    private List<String> payloads(Set<String> events)
    {
        List<String> payloads = new ArrayList<>();
        StringBuilder payload = new StringBuilder(instance).append('|');
        for (String event : events) {
            if (payload.length() + event.length() + 1 > MAX_PAYLOAD) {
                payloads.add(payload.toString());
                payload = new StringBuilder(instance).append('|');
            }
            payload.append(event).append(' ');
        }
        payloads.add(payload.toString());
        return payloads;
    }

    private static void sleep(long millis)
    {
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection connection)
    {
        if (connection != null) {
            try {
                connection.close();
            }
            catch (SQLException ignored) {
                // closing anyway
            }
        }
    }

    /** Stops both threads and closes the listening connection; events not sent yet are dropped. */
    @Override
    public void close()
    {
        closed = true;
        lock.lock();
        try {
            queued.signalAll();
        }
        finally {
            lock.unlock();
        }
        sender.interrupt();
        try {
            listener.join(2_000);
            sender.join(2_000);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(listening);
    }
}
