package dev.taskyard.store;

/**
 * Told that a task changed: its {@link TaskRecord#version()} moved (status, progress, attempt) or it was deleted.
 * Called after the change is committed, on the thread that made it, so implementations must return quickly and must
 * not call back into the store on that thread if they can block (hand the work to a thread of their own instead).
 * An exception thrown by a listener is logged and otherwise ignored.
 */
@FunctionalInterface
public interface TaskChangeListener
{
    void changed(String taskId);
}
