package dev.taskyard.client;

import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * Every attempt the {@link RetryPolicy} allowed failed retryably. The message names the call, the last status (or
 * the transport failure) and the number of attempts; the cause is the last failure (a {@link ProblemException} for an
 * answer, a {@link java.io.IOException} for a transport failure) and the earlier failures are attached as suppressed
 * exceptions, oldest first.
 */
public class RetriesExhaustedException
        extends TaskyardException
{
    private final String call;
    private final int attempts;
    private final OptionalInt lastStatus;

    public RetriesExhaustedException(String call, int attempts, OptionalInt lastStatus, Throwable lastFailure)
    {
        super(call + " failed after " + attempts + (attempts == 1 ? " attempt" : " attempts") + "; last: "
                + (lastStatus.isPresent() ? "status " + lastStatus.getAsInt()
                        : String.valueOf(lastFailure)), lastFailure);
        this.call = requireNonNull(call, "call is null");
        this.attempts = attempts;
        this.lastStatus = requireNonNull(lastStatus, "lastStatus is null");
    }

    /** The method and path, e.g. {@code GET /v1/tasks/t1}. */
    public String call()
    {
        return call;
    }

    public int attempts()
    {
        return attempts;
    }

    /** The status of the last answer; empty when the last attempt failed in transport. */
    public OptionalInt lastStatus()
    {
        return lastStatus;
    }
}
