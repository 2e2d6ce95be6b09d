package dev.taskyard.engine;

/**
 * The sandbox terminated on its own before the call: {@code abort}, {@code kill} and {@code newShell} report it, and
 * the result set must be obtained from {@link Sandbox#waitForResult()}.
 */
public class SandboxTerminatedException extends EngineException
{
    public SandboxTerminatedException(String message)
    {
        super(ErrorCode.SANDBOX_TERMINATED, message);
    }

    public SandboxTerminatedException(String message, Throwable cause)
    {
        super(ErrorCode.SANDBOX_TERMINATED, message, cause);
    }
}
