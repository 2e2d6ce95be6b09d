package dev.taskyard.engine;

/**
 * An internal error not expected to persist: the task resolves as internal-error and the worker goes on. Resources have
 * been released.
 */
public class NonFatalInternalErrorException extends InternalErrorException
{
    public NonFatalInternalErrorException(String message)
    {
        super(ErrorCode.NON_FATAL_INTERNAL_ERROR, message, null);
    }

    public NonFatalInternalErrorException(String message, Throwable cause)
    {
        super(ErrorCode.NON_FATAL_INTERNAL_ERROR, message, cause);
    }

    @Override
    public boolean isFatal()
    {
        return false;
    }
}
