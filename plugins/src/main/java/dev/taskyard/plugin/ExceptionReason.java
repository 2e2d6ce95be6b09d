package dev.taskyard.plugin;

/**
 * Why a task run was resolved as an exception rather than completed or failed. The {@linkplain #id() id} is what
 * crosses process boundaries (queue resolutions, logs). Plugins must tolerate reasons added later.
 */
public enum ExceptionReason
{
    /** The payload, or something derived from it, is invalid: the task author's fault. */
    MALFORMED_PAYLOAD("malformed-payload"),
    /** The worker or a plugin failed; the error was reported with an incident id. */
    INTERNAL_ERROR("internal-error"),
    /** The task was cancelled (by the queue or its owner) while it ran. */
    CANCELED("canceled"),
    /** The worker stopped before the task could finish. */
    WORKER_SHUTDOWN("worker-shutdown"),
    /** The task passed its deadline. */
    DEADLINE_EXCEEDED("deadline-exceeded");

    private final String id;

    ExceptionReason(String id)
    {
        this.id = id;
    }

    /** The stable, lower-case, dash-separated name, e.g. {@code malformed-payload}. */
    public String id()
    {
        return id;
    }

    /** Whether this reason came from outside the run (cancel or shutdown); such a resolution is never overwritten. */
    public boolean isAbort()
    {
        return this == CANCELED || this == WORKER_SHUTDOWN;
    }

    @Override
    public String toString()
    {
        return id;
    }
}
