package dev.taskyard.worker;

import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.plugin.ExceptionReason;

import static java.util.Objects.requireNonNull;

/**
 * How a task run ended.
 *
 * @param status completed, failed, or exception
 * @param reason present iff the status is {@link Status#EXCEPTION}
 * @param result the task's result document, if a plugin set one
 * @param exitCode the exit code of the task's main process, when it ran and ended with one
 * @param message why the run ended as it did, for people (e.g. the malformed-payload messages), when known
 * @param failure present iff the status is {@link Status#FAILED}: how the task failed,
 *        {@link TaskEndReason#TASK_FAILED} or {@link TaskEndReason#OUT_OF_MEMORY} (the stores keep it as the task's
 *        {@code error.reason})
 */
public record TaskResolution(Status status, Optional<ExceptionReason> reason, Optional<JsonNode> result,
        OptionalInt exitCode, Optional<String> message, Optional<TaskEndReason> failure)
{
    public enum Status
    {
        /** Every plugin reported success. */
        COMPLETED,
        /** The task ran, and a plugin reported failure (e.g. a non-zero exit code). */
        FAILED,
        /** The run could not be completed; see the reason. */
        EXCEPTION
    }

    public TaskResolution
    {
        requireNonNull(status, "status is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(result, "result is null");
        requireNonNull(exitCode, "exitCode is null");
        requireNonNull(message, "message is null");
        requireNonNull(failure, "failure is null");
        if (reason.isPresent() != (status == Status.EXCEPTION)) {
            throw new IllegalArgumentException("a reason is required for, and only for, an exception: "
                    + status + " " + reason);
        }
        if (failure.isPresent() != (status == Status.FAILED)) {
            throw new IllegalArgumentException("a failure is required for, and only for, a failed run: "
                    + status + " " + failure);
        }
        if (failure.isPresent() && failure.get() != TaskEndReason.TASK_FAILED
                && failure.get() != TaskEndReason.OUT_OF_MEMORY) {
            throw new IllegalArgumentException("not a way a task fails: " + failure.get());
        }
    }

    public static TaskResolution completed()
    {
        return new TaskResolution(Status.COMPLETED, Optional.empty(), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    /** The task ran and failed ({@code task-failed}). */
    public static TaskResolution failed()
    {
        return failed(TaskEndReason.TASK_FAILED);
    }

    /**
     * The task ran and failed in the given way.
     *
     * @param failure {@link TaskEndReason#TASK_FAILED} or {@link TaskEndReason#OUT_OF_MEMORY}
     * @throws IllegalArgumentException for any other reason (exceptions use {@link #exception})
     */
    public static TaskResolution failed(TaskEndReason failure)
    {
        return new TaskResolution(Status.FAILED, Optional.empty(), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.of(failure));
    }

    public static TaskResolution exception(ExceptionReason reason)
    {
        return new TaskResolution(Status.EXCEPTION, Optional.of(reason), Optional.empty(),
                OptionalInt.empty(), Optional.empty(), Optional.empty());
    }

    /**
     * The reason the task API reports ({@code error.reason}): the failure or the exception's reason; empty when the
     * run completed.
     */
    public Optional<TaskEndReason> endReason()
    {
        return status == Status.EXCEPTION ? reason.map(ExceptionReason::endReason) : failure;
    }

    /** A copy with the given result document. */
    public TaskResolution withResult(JsonNode result)
    {
        return new TaskResolution(status, reason, Optional.ofNullable(result), exitCode, message, failure);
    }

    /** A copy with the given exit code. */
    public TaskResolution withExitCode(OptionalInt exitCode)
    {
        return new TaskResolution(status, reason, result, exitCode, message, failure);
    }

    /** A copy with the given message. */
    public TaskResolution withMessage(String message)
    {
        return new TaskResolution(status, reason, result, exitCode, Optional.ofNullable(message), failure);
    }

    /** {@code completed}, {@code failed}, {@code failed/out-of-memory} or {@code exception/<reason>}. */
    @Override
    public String toString()
    {
        if (failure.isPresent() && failure.get() != TaskEndReason.TASK_FAILED) {
            return "failed/" + failure.get().id();
        }
        return reason.map(r -> "exception/" + r.id()).orElse(status.name().toLowerCase());
    }
}
