package dev.taskyard.store;

import static java.util.Objects.requireNonNull;

/**
 * Why a task failed or was cancelled.
 *
 * @param reason the exception reason ({@code malformed-payload}, {@code internal-error}, {@code canceled},
 *        {@code worker-shutdown}, {@code deadline-exceeded}, {@code worker-crash}) or {@code task-failed} when the task
 *        ran and failed
 * @param title a short human-readable summary
 * @param detail a longer explanation (e.g. the malformed-payload messages)
 */
public record TaskError(String reason, String title, String detail)
{
    public TaskError
    {
        requireNonNull(reason, "reason is null");
        requireNonNull(title, "title is null");
        requireNonNull(detail, "detail is null");
    }
}
