package dev.taskyard.store;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.TaskQueue;

/**
 * The durable store behind the embedded distribution: the worker claims from it as a {@link TaskQueue} and stores
 * artifacts in it as an {@link ArtifactStore}; the REST API submits, reads, lists, cancels and deletes through it.
 * Thread-safe. Every accepted task survives a crash of the process (SIGKILL) once {@link #submit} has returned.
 *
 * <p>Crash rules: a task whose lease expired while RUNNING is handed out again with the next attempt number, up to
 * the configured number of attempts; then it is FAILED with reason {@code worker-crash}. A task is never reported
 * COMPLETED twice: resolution is idempotent per lease and refused for stale leases.
 */
public interface TaskStore
        extends TaskQueue, ArtifactStore, AutoCloseable
{
    /**
     * Stores a new task as PENDING, or returns the earlier one for the same idempotency key and payload.
     *
     * @throws IdempotencyConflictException the key was used with another payload
     * @throws QueueFullException the store holds its maximum of pending tasks
     */
    Submission submit(SubmitRequest request)
            throws QueueException;

    Optional<TaskRecord> get(String taskId)
            throws QueueException;

    /**
     * Waits until the task's {@link TaskRecord#version()} differs from {@code knownVersion} or {@code timeout}
     * passes, then returns the current record (empty if there is no such task). Used by long polls.
     */
    Optional<TaskRecord> awaitChange(String taskId, long knownVersion, Duration timeout)
            throws QueueException, InterruptedException;

    /**
     * Registers {@code listener} for every change of a task made through this store object (see
     * {@link TaskChangeListener}); changes made by other processes sharing the data are not reported.
     *
     * @return false if this store does not report changes: callers must poll ({@link #awaitChange} still works)
     */
    default boolean addChangeListener(TaskChangeListener listener)
    {
        return false;
    }

    /** Unregisters a listener added with {@link #addChangeListener}; no-op if it is not registered. */
    default void removeChangeListener(TaskChangeListener listener)
    {
    }

    /**
     * One page of tasks, newest first, optionally only those of one status.
     *
     * @param pageToken from an earlier page, or empty for the first
     * @throws IllegalArgumentException the page token is not one this store made
     */
    TaskPage list(Optional<TaskStatus> status, int pageSize, Optional<String> pageToken)
            throws QueueException;

    /**
     * Requests cancellation; idempotent. A PENDING task becomes CANCELED at once; a RUNNING task's lease is revoked
     * (the worker's next renewal fails and it aborts the run), and the task becomes CANCELED; a terminal task is left
     * as it is.
     *
     * @return the task after the request, empty if there is no such task
     */
    Optional<TaskRecord> cancel(String taskId, String reason)
            throws QueueException;

    /**
     * Hands a lease back unfinished, for a worker that stops: the RUNNING task becomes PENDING again as if this
     * attempt had never been handed out (its attempt number is reused; the run's log and artifacts are discarded), so
     * that stopping does not use up one of its attempts.
     *
     * @return false if the lease is no longer the task's current one (expired and handed out again, cancelled,
     *         resolved), or if this store cannot hand leases back; the task is then left as it is
     */
    default boolean release(dev.taskyard.worker.Lease lease)
            throws QueueException
    {
        return false;
    }

    /**
     * Forgets a terminal task with its log and artifacts.
     *
     * @return false if there is no such task
     * @throws IllegalStateException the task has not ended
     */
    boolean delete(String taskId)
            throws QueueException;

    /**
     * Appends to the stored log of a task's run (the live log is written here as the task runs); the first append
     * creates the run's log.
     *
     * @throws java.nio.file.NoSuchFileException there is no such task
     * @throws IOException the log is closed, or the store failed
     */
    void appendLog(String taskId, String runId, byte[] bytes, int offset, int length)
            throws IOException;

    /**
     * Marks the log of a run complete: readers reach end-of-stream at its end, later appends are refused. Idempotent.
     *
     * <p>Who must close: the writer that appended to a run's log closes it once the run wrote its last byte (this is
     * what ends followers before the run's resolution, and what makes a file-backed log durable). A run that never
     * appended need not be closed, and closing it costs a store write: its log reads as an empty log that ends when
     * the run ends (see {@link #openLog}), which is exactly what a closed empty log reads as once the run has ended.
     * A writer that skips the close must not append to that run afterwards.
     *
     * @throws java.nio.file.NoSuchFileException there is no such task
     */
    void closeLog(String taskId, String runId)
            throws IOException;

    /**
     * Reads the log of the task's latest run from byte {@code offset}, following it while the run is live: the
     * stream blocks for new bytes and ends, once every stored byte was read, when the log is closed or the run has
     * ended — the task is terminal (resolved, cancelled, failed by the store), the run's lease expired, or a later
     * attempt started — whichever comes first, wherever (through whichever store instance) it happens. A run that
     * never appended (its log was never created, closed or not) reads as an empty log with the same rules: a follower
     * opened while it is live blocks, and ends without any close when the run ends; opened after, it ends at once.
     * Reading past the end of an ended log yields end-of-stream at once. Each stream is for one reader thread.
     *
     * @throws java.nio.file.NoSuchFileException there is no such task
     */
    InputStream openLog(String taskId, long offset)
            throws IOException;

    /** Number of tasks by status, for metrics. */
    Map<TaskStatus, Long> countByStatus()
            throws QueueException;

    @Override
    void close();
}
