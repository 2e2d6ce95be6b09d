package dev.taskyard.store;

/**
 * Told that a task changed: its {@link TaskRecord#version()} moved (status, progress, attempt) or it was deleted.
 * Called after the change is committed, on the thread that made it (or, for a store shared by several processes, on
 * the thread that hears of another process's change), so implementations must return quickly and must not call back
 * into the store on that thread if they can block (hand the work to a thread of their own instead). An exception
 * thrown by a listener is logged and otherwise ignored.
 */
@FunctionalInterface
public interface TaskChangeListener
{
    void changed(String taskId);

    /**
     * Changes may have been missed (a shared store lost its notification connection for a while and has it back):
     * whatever the listener derived from earlier changes, such as cached statuses, must be dropped. The default does
     * nothing.
     */
    default void resynced()
    {
    }
}
