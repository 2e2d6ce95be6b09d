package dev.taskyard.engine;

import static java.util.Objects.requireNonNull;

/**
 * Root of every error the engine contract defines. Each subclass stands for one {@link ErrorCode}; callers
 * branch on the type (or on {@link #code()}), never on the message.
 *
 * <p>Any exception thrown by an engine that is not an {@code EngineException} is treated by callers as a
 * {@linkplain FatalInternalErrorException fatal internal error}.
 */
public abstract class EngineException extends Exception
{
    private final ErrorCode code;

    protected EngineException(ErrorCode code, String message)
    {
        this(code, message, null);
    }

    protected EngineException(ErrorCode code, String message, Throwable cause)
    {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
    }

    /** The contract's name for this error; never {@code null}. */
    public ErrorCode code()
    {
        return code;
    }
}
