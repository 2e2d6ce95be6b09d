package dev.taskyard.client;

import static java.util.Objects.requireNonNull;

/** {@link TaskyardClient#waitFor} reached its deadline before the task ended; {@link #lastSeen()} is its last state. */
public class WaitTimeoutException
        extends TaskyardException
{
    private final transient Task lastSeen;

    public WaitTimeoutException(Task lastSeen)
    {
        super("task " + lastSeen.taskId() + " is still " + lastSeen.status() + " at the wait's deadline");
        this.lastSeen = requireNonNull(lastSeen, "lastSeen is null");
    }

    public Task lastSeen()
    {
        return lastSeen;
    }
}
