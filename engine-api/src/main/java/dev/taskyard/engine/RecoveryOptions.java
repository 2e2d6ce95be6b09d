package dev.taskyard.engine;

import static java.util.Objects.requireNonNull;

/**
 * What {@link Engine#recoverSandbox(RecoveryOptions)} takes.
 *
 * @param handle the handle the task's sandbox gave ({@link Sandbox#handle()})
 * @param context the task context of the recovered run; the recovered sandbox writes the rest of the task's output
 *        to its log and obeys its cancellation and deadline. The caller owns it, as with {@link SandboxOptions}.
 * @param logOffset how many bytes of the task's output the caller already stored: the recovered sandbox writes the
 *        output from this byte on (0 to have it all again)
 */
public record RecoveryOptions(SandboxHandle handle, TaskContext context, long logOffset)
{
    public RecoveryOptions
    {
        requireNonNull(handle, "handle is null");
        requireNonNull(context, "context is null");
        if (logOffset < 0) {
            throw new IllegalArgumentException("logOffset is negative: " + logOffset);
        }
    }
}
