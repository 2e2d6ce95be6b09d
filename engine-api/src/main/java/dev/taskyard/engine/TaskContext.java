package dev.taskyard.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Everything about one run of one task that engines and plugins share: its identity, its deadline, its
 * cancellation and its {@linkplain TaskLog live log}. Thread-safe.
 *
 * <p>The worker owns the context: it {@linkplain #cancel(String) cancels} it (engines must then stop and release
 * what the task holds), closes the log when the task ends, and {@linkplain #dispose() disposes} it. Engines and
 * plugins only read, listen and write to the log.
 */
public final class TaskContext
{
    private static final Logger LOG = LoggerFactory.getLogger(TaskContext.class);

    private final String taskId;
    private final String runId;
    private final Optional<Instant> deadline;
    private final TaskLog log;
    private final CountDownLatch cancelled = new CountDownLatch(1);
    private final Set<Registration> listeners = ConcurrentHashMap.newKeySet();
    private volatile String cancellationReason;

    private TaskContext(Builder builder)
    {
        // a random id only when none was given (the worker always gives one; UUID.randomUUID takes the shared
        // SecureRandom's lock)
        this.taskId = builder.taskId != null ? builder.taskId : UUID.randomUUID().toString();
        this.runId = builder.runId;
        this.deadline = Optional.ofNullable(builder.deadline);
        this.log = requireNonNull(builder.logWrapper.apply(TaskLog.create(builder.spillFolder != null
                ? builder.spillFolder : Path.of(System.getProperty("java.io.tmpdir")), builder.memoryLimit,
                builder.logCap)), "the log wrapper returned null");
    }

    /** A builder for a context with a random task id, run id {@code 0}, no deadline and an uncapped log. */
    public static Builder builder()
    {
        return new Builder();
    }

    public String taskId()
    {
        return taskId;
    }

    public String runId()
    {
        return runId;
    }

    /** When the task must be finished; engines kill the task then, marking the result as timed out. */
    public Optional<Instant> deadline()
    {
        return deadline;
    }

    public TaskLog log()
    {
        return log;
    }

    public boolean isCancelled()
    {
        return cancelled.getCount() == 0;
    }

    /** Why the context was cancelled, once it is. */
    public Optional<String> cancellationReason()
    {
        return Optional.ofNullable(cancellationReason);
    }

    /** Throws {@link TaskCanceledException} if the context is cancelled. */
    public void checkNotCancelled()
            throws TaskCanceledException
    {
        if (isCancelled()) {
            throw new TaskCanceledException("task " + taskId + " was cancelled: " + cancellationReason);
        }
    }

    /**
     * Calls {@code listener} once when the context is cancelled, on the cancelling thread; at once, on this thread,
     * if it already is. Exceptions from the listener are logged and ignored.
     *
     * @return a registration whose {@link Registration#close()} removes the listener
     */
    public Registration onCancel(Runnable listener)
    {
        Registration registration = new Registration(requireNonNull(listener, "listener is null"));
        listeners.add(registration);
        if (isCancelled()) {
            registration.fire();
        }
        return registration;
    }

    /** Blocks until the context is cancelled or the timeout passes; returns whether it is cancelled. */
    public boolean awaitCancellation(Duration timeout)
            throws InterruptedException
    {
        return cancelled.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Cancels the context; the first reason is kept and later calls do nothing. For the owner of the context. */
    public void cancel(String reason)
    {
        requireNonNull(reason, "reason is null");
        synchronized (cancelled) {
            if (isCancelled()) {
                return;
            }
            cancellationReason = reason;
            cancelled.countDown();
        }
        for (Registration registration : listeners) {
            registration.fire();
        }
    }

    /** Closes and deletes the log. For the owner of the context, once nobody reads the log any more. */
    public void dispose()
    {
        listeners.clear();
        log.dispose();
    }

    @Override
    public String toString()
    {
        return "task " + taskId + " run " + runId;
    }

    /** A cancellation listener; closing it removes the listener. */
    public final class Registration
            implements AutoCloseable
    {
        private final Runnable listener;
        private boolean fired;

        private Registration(Runnable listener)
        {
            this.listener = listener;
        }

        private void fire()
        {
            synchronized (this) {
                if (fired || !listeners.contains(this)) {
                    return;
                }
                fired = true;
            }
            listeners.remove(this);
            try {
                listener.run();
            }
            catch (RuntimeException e) {
                LOG.warn("cancellation listener of {} failed", TaskContext.this, e);
            }
        }

        @Override
        public void close()
        {
            listeners.remove(this);
        }
    }

    /** Builds a {@link TaskContext}. Not thread-safe. */
    public static final class Builder
    {
        private String taskId;
        private String runId = "0";
        private Instant deadline;
        private Path spillFolder;
        private int memoryLimit = TaskLog.DEFAULT_MEMORY_LIMIT;
        private long logCap = Long.MAX_VALUE;
        private UnaryOperator<TaskLog> logWrapper = UnaryOperator.identity();

        private Builder() {}

        public Builder taskId(String taskId)
        {
            this.taskId = requireNonNull(taskId, "taskId is null");
            return this;
        }

        public Builder runId(String runId)
        {
            this.runId = requireNonNull(runId, "runId is null");
            return this;
        }

        public Builder deadline(Instant deadline)
        {
            this.deadline = deadline;
            return this;
        }

        public Builder deadlineIn(Duration timeout)
        {
            return deadline(Instant.now().plus(timeout));
        }

        /** Where the log spills once it outgrows {@link #logMemoryLimit(int)}. */
        public Builder logSpillFolder(Path folder)
        {
            this.spillFolder = requireNonNull(folder, "folder is null");
            return this;
        }

        public Builder logMemoryLimit(int bytes)
        {
            this.memoryLimit = bytes;
            return this;
        }

        /** Bytes of log kept at most; the rest is dropped and counted in a notice. */
        public Builder logCap(long bytes)
        {
            this.logCap = bytes;
            return this;
        }

        /**
         * Wraps the new log before anyone sees it, so that every write of the engine and the plugins goes through the
         * wrapper (the worker masks secrets this way). The wrapper owns the log it is given: closing and disposing
         * the wrapper must close and dispose it.
         */
        public Builder logWrapper(UnaryOperator<TaskLog> wrapper)
        {
            this.logWrapper = requireNonNull(wrapper, "wrapper is null");
            return this;
        }

        public TaskContext build()
        {
            return new TaskContext(this);
        }
    }
}
