package dev.taskyard.engine;

/**
 * The sandbox builder was discarded, possibly while {@link SandboxBuilder#startSandbox()} was running.
 */
public class BuilderDiscardedException extends EngineException
{
    public BuilderDiscardedException(String message)
    {
        super(ErrorCode.BUILDER_DISCARDED, message);
    }

    public BuilderDiscardedException(String message, Throwable cause)
    {
        super(ErrorCode.BUILDER_DISCARDED, message, cause);
    }
}
