package dev.taskyard.engine;

/**
 * A {@link FileHandler} failed; the extraction stopped after outstanding handler calls returned. The first handler
 * failure is the cause.
 */
public class HandlerInterruptedException extends EngineException
{
    public HandlerInterruptedException(String message)
    {
        super(ErrorCode.HANDLER_INTERRUPTED, message);
    }

    public HandlerInterruptedException(String message, Throwable cause)
    {
        super(ErrorCode.HANDLER_INTERRUPTED, message, cause);
    }
}
