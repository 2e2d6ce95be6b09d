package dev.taskyard.worker;

import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
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
 */
public record TaskResolution(Status status, Optional<ExceptionReason> reason, Optional<JsonNode> result,
        OptionalInt exitCode, Optional<String> message)
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
        if (reason.isPresent() != (status == Status.EXCEPTION)) {
            throw new IllegalArgumentException("a reason is required for, and only for, an exception: "
                    + status + " " + reason);
        }
    }

    public static TaskResolution completed()
    {
        return new TaskResolution(Status.COMPLETED, Optional.empty(), Optional.empty(),
                OptionalInt.empty(), Optional.empty());
    }

    public static TaskResolution failed()
    {
        return new TaskResolution(Status.FAILED, Optional.empty(), Optional.empty(),
                OptionalInt.empty(), Optional.empty());
    }

    public static TaskResolution exception(ExceptionReason reason)
    {
        return new TaskResolution(Status.EXCEPTION, Optional.of(reason), Optional.empty(),
                OptionalInt.empty(), Optional.empty());
    }

    /** A copy with the given result document. */
    public TaskResolution withResult(JsonNode result)
    {
        return new TaskResolution(status, reason, Optional.ofNullable(result), exitCode, message);
    }

    /** A copy with the given exit code. */
    public TaskResolution withExitCode(OptionalInt exitCode)
    {
        return new TaskResolution(status, reason, result, exitCode, message);
    }

    /** A copy with the given message. */
    public TaskResolution withMessage(String message)
    {
        return new TaskResolution(status, reason, result, exitCode, Optional.ofNullable(message));
    }

    /** {@code completed}, {@code failed} or {@code exception/<reason>}. */
    @Override
    public String toString()
    {
        return reason.map(r -> "exception/" + r.id()).orElse(status.name().toLowerCase());
    }
}
