package dev.taskyard.server.internal;

import java.time.Duration;
import java.util.List;

import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.store.TaskStore;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.ReclaimedRun;
import dev.taskyard.worker.TaskQueue;
import dev.taskyard.worker.TaskResolution;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The worker's view of the store, with one change: a run aborted because the server stops ({@code worker-shutdown})
 * is not resolved but {@linkplain TaskStore#release handed back}, so that the task is PENDING again with the same
 * attempt number and runs after a restart, instead of ending FAILED. If the store cannot hand the lease back, the
 * lease is left to expire and the task runs again with the next attempt.
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
    public Subscription onCancel(Lease lease, Runnable listener)
            throws QueueException
    {
        return store.onCancel(lease, listener);
    }

    @Override
    public boolean saveSandbox(Lease lease, SandboxHandle handle)
            throws QueueException
    {
        return store.saveSandbox(lease, handle);
    }

    @Override
    public List<ReclaimedRun> reclaim(WorkerIdentity worker, Duration leaseDuration)
            throws QueueException
    {
        return store.reclaim(worker, leaseDuration);
    }

    @Override
    public boolean release(Lease lease)
            throws QueueException
    {
        return store.release(lease);
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
            if (store.release(lease)) {
                LOG.info("task {} run {} was stopped with the server and handed back; it runs again after a restart",
                        lease.taskId(), lease.runId());
            }
            else {
                LOG.info("task {} run {} was stopped with the server; it runs again after a restart once its lease "
                        + "expires", lease.taskId(), lease.runId());
            }
            return;
        }
        store.resolve(lease, resolution);
    }
}
