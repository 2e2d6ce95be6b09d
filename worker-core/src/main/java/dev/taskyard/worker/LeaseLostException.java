package dev.taskyard.worker;

import static java.util.Objects.requireNonNull;

/**
 * The lease presented is no longer valid: the task was cancelled, the lease expired (and the task may run
 * elsewhere), or the task was already resolved under another lease. The worker must stop the run; it does not
 * report a resolution.
 */
public class LeaseLostException extends QueueException
{
    /** Why the lease is gone. */
    public enum Reason
    {
        CANCELED, EXPIRED, RESOLVED
    }

    private final Reason reason;

    public LeaseLostException(Reason reason, String message)
    {
        super(message);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason()
    {
        return reason;
    }
}
