package dev.taskyard.engine;

/**
 * The sandbox was aborted (explicitly or by cancellation of its task context) and has no result.
 */
public class SandboxAbortedException extends EngineException
{
    public SandboxAbortedException(String message)
    {
        super(ErrorCode.SANDBOX_ABORTED, message);
    }

    public SandboxAbortedException(String message, Throwable cause)
    {
        super(ErrorCode.SANDBOX_ABORTED, message, cause);
    }
}
