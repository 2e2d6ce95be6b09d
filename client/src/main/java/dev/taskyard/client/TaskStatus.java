package dev.taskyard.client;

/** The states of a task; COMPLETED, FAILED and CANCELED are terminal. */
public enum TaskStatus
{
    PENDING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELED;

    /** Whether the task has ended and will not change any more. */
    public boolean isTerminal()
    {
        return this == COMPLETED || this == FAILED || this == CANCELED;
    }
}
