package dev.taskyard.engine;

/**
 * The engine already holds {@link Capabilities#maxConcurrency()} live sandboxes (counting builders and undisposed
 * result sets).
 */
public class MaxConcurrencyExceededException extends EngineException
{
    public MaxConcurrencyExceededException(String message)
    {
        super(ErrorCode.MAX_CONCURRENCY_EXCEEDED, message);
    }

    public MaxConcurrencyExceededException(String message, Throwable cause)
    {
        super(ErrorCode.MAX_CONCURRENCY_EXCEEDED, message, cause);
    }
}
