package dev.taskyard.client;

import java.net.URI;

import static java.util.Objects.requireNonNull;

/**
 * The answer to a submit: the task the server created (or had already created for this idempotency key).
 *
 * @param location the absolute status URL from the {@code Location} header
 * @param idempotencyKey the key that was sent; submitting again with it never creates a second task
 * @param task the status monitor the server answered with
 */
public record Submission(URI location, String idempotencyKey, Task task)
{
    public Submission
    {
        requireNonNull(location, "location is null");
        requireNonNull(idempotencyKey, "idempotencyKey is null");
        requireNonNull(task, "task is null");
    }

    public String taskId()
    {
        return task.taskId();
    }
}
