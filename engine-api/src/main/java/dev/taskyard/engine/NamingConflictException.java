package dev.taskyard.engine;

/**
 * The name (environment variable, mount point or proxy name) was already declared on the builder.
 */
public class NamingConflictException extends EngineException
{
    public NamingConflictException(String message)
    {
        super(ErrorCode.NAMING_CONFLICT, message);
    }

    public NamingConflictException(String message, Throwable cause)
    {
        super(ErrorCode.NAMING_CONFLICT, message, cause);
    }
}
