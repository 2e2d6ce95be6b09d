package dev.taskyard.plugin;

import dev.taskyard.engine.TaskEndReason;

/**
 * Why a task run was resolved as an exception rather than completed or failed: the subset of
 * {@link TaskEndReason} a run can resolve with. The {@linkplain #id() id} is what crosses process boundaries (queue
 * resolutions, logs). Plugins must tolerate reasons added later.
 */
public enum ExceptionReason
{
    /** The payload, or something derived from it, is invalid: the task author's fault. */
    MALFORMED_PAYLOAD(TaskEndReason.MALFORMED_PAYLOAD),
    /** The worker or a plugin failed; the error was reported with an incident id. */
    INTERNAL_ERROR(TaskEndReason.INTERNAL_ERROR),
    /** The task was cancelled (by the queue or its owner) while it ran. */
    CANCELED(TaskEndReason.CANCELED),
    /** The worker stopped before the task could finish. */
    WORKER_SHUTDOWN(TaskEndReason.WORKER_SHUTDOWN),
    /** The task passed its deadline. */
    DEADLINE_EXCEEDED(TaskEndReason.DEADLINE_EXCEEDED);

    private final TaskEndReason reason;

    ExceptionReason(TaskEndReason reason)
    {
        this.reason = reason;
    }

    /** The stable, lower-case, dash-separated name, e.g. {@code malformed-payload}: {@link TaskEndReason#id()}. */
    public String id()
    {
        return reason.id();
    }

    /** The shared task-end reason. */
    public TaskEndReason endReason()
    {
        return reason;
    }

    /** Whether this reason came from outside the run (cancel or shutdown); such a resolution is never overwritten. */
    public boolean isAbort()
    {
        return this == CANCELED || this == WORKER_SHUTDOWN;
    }

    @Override
    public String toString()
    {
        return reason.id();
    }
}
