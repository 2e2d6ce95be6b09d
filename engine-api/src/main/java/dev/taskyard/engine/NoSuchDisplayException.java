package dev.taskyard.engine;

/**
 * No display of the given name exists in the sandbox.
 */
public class NoSuchDisplayException extends EngineException
{
    public NoSuchDisplayException(String message)
    {
        super(ErrorCode.NO_SUCH_DISPLAY, message);
    }

    public NoSuchDisplayException(String message, Throwable cause)
    {
        super(ErrorCode.NO_SUCH_DISPLAY, message, cause);
    }
}
