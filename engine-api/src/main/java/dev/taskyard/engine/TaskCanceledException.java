package dev.taskyard.engine;

/**
 * The task context was cancelled while the call was in progress; everything the call held was released.
 */
public class TaskCanceledException extends EngineException
{
    public TaskCanceledException(String message)
    {
        super(ErrorCode.CANCELED, message);
    }

    public TaskCanceledException(String message, Throwable cause)
    {
        super(ErrorCode.CANCELED, message, cause);
    }
}
