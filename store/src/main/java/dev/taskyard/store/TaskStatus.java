package dev.taskyard.store;

/** The public status of a task, as the REST API reports it. */
public enum TaskStatus
{
    PENDING, RUNNING, COMPLETED, FAILED, CANCELED;

    /** Whether the task has ended for good. */
    public boolean isTerminal()
    {
        return this == COMPLETED || this == FAILED || this == CANCELED;
    }
}
