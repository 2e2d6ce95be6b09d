package dev.taskyard.engine;

/**
 * A file, folder or other named resource does not exist.
 */
public class ResourceNotFoundException extends EngineException
{
    public ResourceNotFoundException(String message)
    {
        super(ErrorCode.RESOURCE_NOT_FOUND, message);
    }

    public ResourceNotFoundException(String message, Throwable cause)
    {
        super(ErrorCode.RESOURCE_NOT_FOUND, message, cause);
    }
}
