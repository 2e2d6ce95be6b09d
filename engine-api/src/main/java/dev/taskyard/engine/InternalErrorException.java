package dev.taskyard.engine;

/**
 * An internal error that the thrower has already logged. Non-fatal: the task resolves as internal-error and
 * the worker goes on; fatal: the worker must stop. See the two subclasses.
 */
public abstract class InternalErrorException extends EngineException
{
    protected InternalErrorException(ErrorCode code, String message, Throwable cause)
    {
        super(code, message, cause);
    }

    /** Whether the worker must stop because of this error. */
    public abstract boolean isFatal();
}
