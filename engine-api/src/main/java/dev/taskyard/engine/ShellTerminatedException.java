package dev.taskyard.engine;

/**
 * The shell had already terminated when it was aborted.
 */
public class ShellTerminatedException extends EngineException
{
    public ShellTerminatedException(String message)
    {
        super(ErrorCode.SHELL_TERMINATED, message);
    }

    public ShellTerminatedException(String message, Throwable cause)
    {
        super(ErrorCode.SHELL_TERMINATED, message, cause);
    }
}
