package dev.taskyard.engine;

/**
 * An internal error after which the worker must stop (an unhealthy host, a broken daemon).
 */
public class FatalInternalErrorException extends InternalErrorException
{
    public FatalInternalErrorException(String message)
    {
        super(ErrorCode.FATAL_INTERNAL_ERROR, message, null);
    }

    public FatalInternalErrorException(String message, Throwable cause)
    {
        super(ErrorCode.FATAL_INTERNAL_ERROR, message, cause);
    }

    @Override
    public boolean isFatal()
    {
        return true;
    }
}
