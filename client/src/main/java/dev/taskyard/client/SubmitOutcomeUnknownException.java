package dev.taskyard.client;

import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * A submit failed in a way that leaves unknown whether the server created the task (every attempt failed, or the
 * exchange broke after the request may have been sent). Submit again with {@link #idempotencyKey()} (see
 * {@link SubmitRequest#withIdempotencyKey}): the server then answers with the task it created, or creates it once.
 * The cause is the {@link RetriesExhaustedException} or {@link TransportException}.
 */
public class SubmitOutcomeUnknownException
        extends TaskyardException
{
    private final String idempotencyKey;
    private final int attempts;
    private final OptionalInt lastStatus;

    public SubmitOutcomeUnknownException(String idempotencyKey, int attempts, OptionalInt lastStatus,
            TaskyardException cause)
    {
        super("submit outcome unknown after " + attempts + (attempts == 1 ? " attempt" : " attempts")
                + (lastStatus.isPresent() ? " (last status " + lastStatus.getAsInt() + ")" : "")
                + "; retry with Idempotency-Key " + idempotencyKey + " to get the task created at most once", cause);
        this.idempotencyKey = requireNonNull(idempotencyKey, "idempotencyKey is null");
        this.attempts = attempts;
        this.lastStatus = requireNonNull(lastStatus, "lastStatus is null");
    }

    /** The key to submit again with. */
    public String idempotencyKey()
    {
        return idempotencyKey;
    }

    public int attempts()
    {
        return attempts;
    }

    public OptionalInt lastStatus()
    {
        return lastStatus;
    }
}
