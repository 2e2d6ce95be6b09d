package dev.taskyard.plugin;

/**
 * Lets plugins stop the worker. Thread-safe; both methods return at once and are idempotent.
 */
public interface WorkerControl
{
    /** Claims no more tasks; running tasks may finish within the grace period, then are aborted. */
    void stopGracefully(String reason);

    /** Aborts every running task with {@code worker-shutdown} and stops. */
    void stopNow(String reason);

    /** A control that ignores every request, for tests and tools. */
    static WorkerControl ignoring()
    {
        return new WorkerControl()
        {
            @Override
            public void stopGracefully(String reason) {}

            @Override
            public void stopNow(String reason) {}
        };
    }
}
