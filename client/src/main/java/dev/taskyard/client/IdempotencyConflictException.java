package dev.taskyard.client;

/** 409 or 422 on a submit: the idempotency key was used before with another payload. */
public class IdempotencyConflictException
        extends ProblemException
{
    public IdempotencyConflictException(Problem problem)
    {
        super(problem);
    }
}
