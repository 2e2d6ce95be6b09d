package dev.taskyard.worker;

import dev.taskyard.engine.SandboxHandle;

import static java.util.Objects.requireNonNull;

/**
 * A run handed back to the worker that held it ({@link TaskQueue#reclaim}).
 *
 * @param claim the task and its new lease: new token and expiry, same attempt (so the same run id)
 * @param handle the handle saved for the run's sandbox ({@link TaskQueue#saveSandbox})
 * @param logOffset how many bytes of the run's log the queue stored; the recovered sandbox continues from there
 */
public record ReclaimedRun(Claim claim, SandboxHandle handle, long logOffset)
{
    public ReclaimedRun
    {
        requireNonNull(claim, "claim is null");
        requireNonNull(handle, "handle is null");
        if (logOffset < 0) {
            throw new IllegalArgumentException("logOffset is negative: " + logOffset);
        }
    }
}
