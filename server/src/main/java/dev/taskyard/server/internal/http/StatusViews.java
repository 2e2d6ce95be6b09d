package dev.taskyard.server.internal.http;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.taskyard.store.TaskChangeListener;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStore;
import dev.taskyard.worker.QueueException;

import static java.util.Objects.requireNonNull;

/**
 * The serialized status monitors of recently read tasks, so that repeated {@code GET /v1/tasks/{id}} of an unchanged
 * task cost neither a database read nor JSON serialization. An entry is dropped when the store reports a change of its
 * task ({@link TaskStore#addChangeListener}), and the whole cache when the store says changes may have been missed
 * ({@link TaskChangeListener#resynced()}); a store that reports no changes gets no caching. A store shared by several
 * servers (PostgreSQL) reports the other servers' changes too; the SQLite store does not, so a server on SQLite must
 * own its data folder (as {@code serve} does).
 *
 * <p>Thread-safe. At most {@code maxEntries} entries; when full, the cache is emptied and starts over. The cache
 * listens to the store for as long as the store is open (a server and its store live and die together).
 */
final class StatusViews
{
    /** A task as answered: the record, its JSON and its ETag. */
    record View(TaskRecord task, byte[] json, String etag)
    {
    }

    private final TaskStore store;
    private final int maxEntries;
    private final boolean caching;
    private final ConcurrentHashMap<String, View> views = new ConcurrentHashMap<>();
    /** Counts invalidations, so that a read that raced with a change does not stay cached. */
    private final AtomicLong invalidations = new AtomicLong();

    StatusViews(TaskStore store, int maxEntries)
    {
        this.store = requireNonNull(store, "store is null");
        this.maxEntries = maxEntries;
        this.caching = maxEntries > 0 && store.addChangeListener(new TaskChangeListener()
        {
            @Override
            public void changed(String taskId)
            {
                invalidate(taskId);
            }

            @Override
            public void resynced()
            {
                invalidations.incrementAndGet();
                views.clear();
            }
        });
    }

    static View of(TaskRecord task)
    {
        return new View(task, TaskViews.bytes(task), TaskViews.etag(task));
    }

    /** The task's view: from the cache, or read from the store (and cached). */
    Optional<View> get(String taskId)
            throws QueueException
    {
        if (caching) {
            View cached = views.get(taskId);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        long seen = invalidations.get();
        Optional<TaskRecord> task = store.get(taskId);
        if (task.isEmpty()) {
            return Optional.empty();
        }
        View view = of(task.get());
        if (caching) {
            if (views.size() >= maxEntries) {
                views.clear();
            }
            views.put(taskId, view);
            // a change committed while the store was read may have been invalidated before the put: undo it
            if (invalidations.get() != seen) {
                views.remove(taskId, view);
            }
        }
        return Optional.of(view);
    }

    private void invalidate(String taskId)
    {
        invalidations.incrementAndGet();
        views.remove(taskId);
    }
}
