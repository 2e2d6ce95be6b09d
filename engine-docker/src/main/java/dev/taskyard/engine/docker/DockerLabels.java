package dev.taskyard.engine.docker;

/**
 * The labels the Docker engine puts on every container and volume it creates, so that the objects of a worker can
 * be found (and the leftovers of a crashed worker removed) with a label filter, e.g.
 * {@code docker ps -a --filter label=dev.taskyard.worker-id=w1}.
 */
public final class DockerLabels
{
    /** Always {@code docker}: the object was made by this engine. */
    public static final String ENGINE = "dev.taskyard.engine";
    /** {@link dev.taskyard.engine.WorkerIdentity#workerGroup()}. */
    public static final String WORKER_GROUP = "dev.taskyard.worker-group";
    /** {@link dev.taskyard.engine.WorkerIdentity#workerId()}. */
    public static final String WORKER_ID = "dev.taskyard.worker-id";
    /** {@link dev.taskyard.engine.TaskContext#taskId()}; on containers only (volumes outlive tasks). */
    public static final String TASK_ID = "dev.taskyard.task-id";
    /** {@link dev.taskyard.engine.TaskContext#runId()}; on containers only. */
    public static final String RUN_ID = "dev.taskyard.run-id";

    private DockerLabels() {}
}
