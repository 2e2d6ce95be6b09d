package dev.taskyard.client;

/** The base of every error the client throws; unchecked. */
public class TaskyardException
        extends RuntimeException
{
    public TaskyardException(String message)
    {
        super(message);
    }

    public TaskyardException(String message, Throwable cause)
    {
        super(message, cause);
    }
}
