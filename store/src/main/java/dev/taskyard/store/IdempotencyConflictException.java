package dev.taskyard.store;

import dev.taskyard.worker.QueueException;

/** An idempotency key was reused with a different payload; nothing was stored. */
public class IdempotencyConflictException
        extends QueueException
{
    public IdempotencyConflictException(String message)
    {
        super(message);
    }
}
