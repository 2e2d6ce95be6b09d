package dev.taskyard.client;

import static java.util.Objects.requireNonNull;

/**
 * Why a task FAILED or was CANCELED, as the server reports it in the task's {@code error} member (a problem document).
 *
 * @param type the problem type URI, never null
 * @param title a short summary, never null (possibly empty)
 * @param detail a longer explanation, never null (possibly empty)
 * @param reason the short reason code, e.g. {@code canceled}, {@code task-failed}, {@code deadline-exceeded};
 *        never null
 */
public record TaskError(String type, String title, String detail, String reason)
{
    public TaskError
    {
        requireNonNull(type, "type is null");
        requireNonNull(title, "title is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(reason, "reason is null");
    }
}
