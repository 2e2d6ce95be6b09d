package dev.taskyard.engine.docker.internal;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.docker.DockerEngineProvider;
import dev.taskyard.engine.docker.DockerLabels;

import static java.util.Objects.requireNonNull;

/**
 * The {@link DockerLabels} of one worker's objects. Immutable.
 *
 * @param worker whose objects these are
 */
record WorkerLabels(WorkerIdentity worker)
{
    WorkerLabels
    {
        requireNonNull(worker, "worker is null");
    }

    /** The labels that select every object of the worker; also the reconciler's filter. */
    Map<String, String> forWorker()
    {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(DockerLabels.ENGINE, DockerEngineProvider.NAME);
        labels.put(DockerLabels.WORKER_GROUP, worker.workerGroup());
        labels.put(DockerLabels.WORKER_ID, worker.workerId());
        return labels;
    }

    Map<String, String> forVolume()
    {
        return Map.copyOf(forWorker());
    }

    Map<String, String> forContainer(TaskContext task)
    {
        Map<String, String> labels = forWorker();
        labels.put(DockerLabels.TASK_ID, task.taskId());
        labels.put(DockerLabels.RUN_ID, task.runId());
        return Map.copyOf(labels);
    }
}
