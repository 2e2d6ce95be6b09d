package dev.taskyard.worker;

/** The task queue failed (unreachable, refused); the call may be retried. */
public class QueueException extends Exception
{
    public QueueException(String message)
    {
        super(message);
    }

    public QueueException(String message, Throwable cause)
    {
        super(message, cause);
    }
}
