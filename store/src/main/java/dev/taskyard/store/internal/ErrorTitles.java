package dev.taskyard.store.internal;

/** The short human-readable titles of the error reasons of failed and cancelled tasks, shared by the stores. */
public final class ErrorTitles
{
    /** The error reason of a task whose worker stopped renewing its last allowed attempt. */
    public static final String WORKER_CRASH = "worker-crash";
    /** The error reason of a task whose run failed. */
    public static final String TASK_FAILED = "task-failed";

    private ErrorTitles()
    {
    }

    public static String title(String reason)
    {
        return switch (reason) {
            case TASK_FAILED -> "The task failed";
            case "malformed-payload" -> "The task payload is malformed";
            case "internal-error" -> "The worker failed to run the task";
            case "canceled" -> "The task was cancelled";
            case "worker-shutdown" -> "The worker shut down before the task finished";
            case "deadline-exceeded" -> "The task passed its deadline";
            case WORKER_CRASH -> "The worker running the task stopped responding";
            default -> "The task ended with " + reason;
        };
    }
}
