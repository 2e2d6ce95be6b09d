package dev.taskyard.store.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.taskyard.store.TaskChangeListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The {@link TaskChangeListener}s of a store; a listener that throws is logged and the others still run. Thread-safe.
 */
public final class ChangeListeners
{
    private static final Logger LOG = LoggerFactory.getLogger(ChangeListeners.class);

    private final List<TaskChangeListener> listeners = new CopyOnWriteArrayList<>();

    public void add(TaskChangeListener listener)
    {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    public void remove(TaskChangeListener listener)
    {
        listeners.remove(listener);
    }

    public boolean isEmpty()
    {
        return listeners.isEmpty();
    }

    /** Tells every listener that the task changed, on the calling thread. */
    public void changed(String taskId)
    {
        for (TaskChangeListener listener : listeners) {
            try {
                listener.changed(taskId);
            }
            catch (RuntimeException e) {
                LOG.warn("task {}: a change listener failed", taskId, e);
            }
        }
    }

    /** Tells every listener that changes may have been missed. */
    public void resynced()
    {
        for (TaskChangeListener listener : listeners) {
            try {
                listener.resynced();
            }
            catch (RuntimeException e) {
                LOG.warn("a change listener failed", e);
            }
        }
    }
}
