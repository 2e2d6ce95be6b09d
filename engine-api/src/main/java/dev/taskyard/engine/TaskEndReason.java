package dev.taskyard.engine;

import java.util.Optional;

/**
 * Why a task run ended other than by completing: the one vocabulary the worker's resolutions, the plugins'
 * {@code ExceptionReason}, the store's task errors and the remote engine's reading of a remote task share. The
 * {@linkplain #id() id} is what crosses process boundaries (queue resolutions, the task API's {@code error.reason},
 * logs); readers must tolerate ids added later ({@link #fromId} is empty for them).
 */
public enum TaskEndReason
{
    /** The task ran and failed (a non-zero exit, a kill by a plugin). */
    TASK_FAILED("task-failed", "The task failed"),
    /**
     * The task failed because the kernel killed it for exceeding its memory limit ({@link Termination#outOfMemory()}):
     * the task's fault, like {@link #TASK_FAILED}, but one a caller may want to retry with more memory.
     */
    OUT_OF_MEMORY("out-of-memory", "The task ran out of memory"),
    /** The payload, or something derived from it, is invalid: the task author's fault. */
    MALFORMED_PAYLOAD("malformed-payload", "The task payload is malformed"),
    /** The worker or a plugin failed; the error was reported with an incident id. */
    INTERNAL_ERROR("internal-error", "The worker failed to run the task"),
    /** The task was cancelled (by the queue or its owner) while it ran. */
    CANCELED("canceled", "The task was cancelled"),
    /** The worker stopped before the task could finish. */
    WORKER_SHUTDOWN("worker-shutdown", "The worker shut down before the task finished"),
    /** The task passed its deadline. */
    DEADLINE_EXCEEDED("deadline-exceeded", "The task passed its deadline"),
    /** The worker running the task stopped renewing its lease (it crashed or lost the store). */
    WORKER_CRASH("worker-crash", "The worker running the task stopped responding");

    private final String id;
    private final String title;

    TaskEndReason(String id, String title)
    {
        this.id = id;
        this.title = title;
    }

    /** The stable, lower-case, dash-separated name, e.g. {@code deadline-exceeded}. */
    public String id()
    {
        return id;
    }

    /** A short human title, e.g. {@code The task passed its deadline}. */
    public String title()
    {
        return title;
    }

    /** The reason with this id; empty for an id this version does not know. */
    public static Optional<TaskEndReason> fromId(String id)
    {
        for (TaskEndReason reason : values()) {
            if (reason.id.equals(id)) {
                return Optional.of(reason);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString()
    {
        return id;
    }
}
