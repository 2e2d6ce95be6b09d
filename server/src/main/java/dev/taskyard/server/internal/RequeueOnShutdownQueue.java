package dev.taskyard.server.internal;

import java.util.List;

import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.store.TaskStore;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.TaskQueue;
import dev.taskyard.worker.TaskResolution;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The worker's view of the store, with one change: a run aborted because the server stops ({@code worker-shutdown})
 * is not resolved, so that its lease expires and the task is handed out again (next attempt) after a restart,
 * instead of ending FAILED. ({@link TaskStore} has no call to release a lease early; see the server's notes.)
 */
final class RequeueOnShutdownQueue
        implements TaskQueue
{
    private static final Logger LOG = LoggerFactory.getLogger(RequeueOnShutdownQueue.class);

    private final TaskStore store;

    RequeueOnShutdownQueue(TaskStore store)
    {
        this.store = requireNonNull(store, "store is null");
    }

    @Override
    public List<Claim> claim(ClaimRequest request)
            throws QueueException, InterruptedException
    {
        return store.claim(request);
    }

    @Override
    public Lease renew(Lease lease)
            throws QueueException
    {
        return store.renew(lease);
    }

    @Override
    public void reportProgress(Lease lease, int percent)
            throws QueueException
    {
        store.reportProgress(lease, percent);
    }

    @Override
    public void resolve(Lease lease, TaskResolution resolution)
            throws QueueException
    {
        if (resolution.reason().equals(java.util.Optional.of(ExceptionReason.WORKER_SHUTDOWN))) {
            LOG.info("task {} run {} was stopped with the server; it runs again after a restart once its lease expires", lease.taskId(), lease.runId());
            return;
        }
        store.resolve(lease, resolution);
    }
}
