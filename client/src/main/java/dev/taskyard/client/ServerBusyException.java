package dev.taskyard.client;

/** 429 or 503 that was not retried (or no more): the server is full or unavailable; see {@link #retryAfter()}. */
public class ServerBusyException
        extends ProblemException
{
    public ServerBusyException(Problem problem)
    {
        super(problem);
    }
}
