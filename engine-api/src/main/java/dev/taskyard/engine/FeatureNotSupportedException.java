package dev.taskyard.engine;

/**
 * An optional feature is not implemented by the engine. Every optional SPI method's default throws it.
 */
public class FeatureNotSupportedException extends EngineException
{
    public FeatureNotSupportedException(String message)
    {
        super(ErrorCode.FEATURE_NOT_SUPPORTED, message);
    }

    public FeatureNotSupportedException(String message, Throwable cause)
    {
        super(ErrorCode.FEATURE_NOT_SUPPORTED, message, cause);
    }
}
