package dev.taskyard.worker;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * The right to run one attempt of a task until {@code expiresAt}. The worker renews it while the task runs; once it
 * expires, the queue may hand the task out again with the next attempt number.
 *
 * @param taskId the task
 * @param attempt 0 for the first run, incremented each time the task is handed out again; the run id is this
 *        number
 * @param token identifies this lease; every renewal and the resolution must present it (e.g. a random UUID stored
 *        in the task's row)
 * @param expiresAt when the lease ends unless renewed
 */
public record Lease(String taskId, int attempt, String token, Instant expiresAt)
{
    public Lease
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(token, "token is null");
        requireNonNull(expiresAt, "expiresAt is null");
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt is negative");
        }
    }

    /** The run id of this attempt. */
    public String runId()
    {
        return Integer.toString(attempt);
    }
}
