package dev.taskyard.engine;

/**
 * The shell was aborted, directly or because its sandbox was killed, aborted or terminated.
 */
public class ShellAbortedException extends EngineException
{
    public ShellAbortedException(String message)
    {
        super(ErrorCode.SHELL_ABORTED, message);
    }

    public ShellAbortedException(String message, Throwable cause)
    {
        super(ErrorCode.SHELL_ABORTED, message, cause);
    }
}
