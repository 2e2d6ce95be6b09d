package dev.taskyard.store.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.worker.TaskQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The {@link TaskQueue#onCancel} registrations of a store, by task id: each fires at most once, closing one is
 * idempotent, and a listener that throws is logged. Thread-safe.
 */
public final class CancelWatches
{
    private static final Logger LOG = LoggerFactory.getLogger(CancelWatches.class);

    private final ConcurrentMap<String, List<Watch>> watches = new ConcurrentHashMap<>();

    /** Registers {@code listener} for the task; the caller then checks whether it is cancelled already (see {@link
     * Watch#fire}). */
    public Watch register(String taskId, Runnable listener)
    {
        Watch watch = new Watch(requireNonNull(taskId, "taskId is null"), requireNonNull(listener, "listener is null"));
        watches.computeIfAbsent(taskId, id -> new CopyOnWriteArrayList<>()).add(watch);
        return watch;
    }

    /** Fires (and removes) every registration of the task, on the calling thread. */
    public void fire(String taskId)
    {
        List<Watch> fired = watches.remove(taskId);
        if (fired != null) {
            fired.forEach(Watch::fire);
        }
    }

    /** The tasks with registrations, a snapshot. */
    public Set<String> taskIds()
    {
        return Set.copyOf(watches.keySet());
    }

    /** One registration. */
    public final class Watch
            implements TaskQueue.Subscription
    {
        private final String taskId;
        private final Runnable listener;
        private final AtomicBoolean done = new AtomicBoolean();

        private Watch(String taskId, Runnable listener)
        {
            this.taskId = taskId;
            this.listener = listener;
        }

        /** Runs the listener unless it ran or was closed already. */
        public void fire()
        {
            if (done.compareAndSet(false, true)) {
                remove();
                try {
                    listener.run();
                }
                catch (RuntimeException e) {
                    LOG.warn("task {}: a cancel listener failed", taskId, e);
                }
            }
        }

        @Override
        public void close()
        {
            if (done.compareAndSet(false, true)) {
                remove();
            }
        }

        private void remove()
        {
            watches.computeIfPresent(taskId, (id, list) -> {
                list.remove(this);
                return list.isEmpty() ? null : list;
            });
        }
    }
}
