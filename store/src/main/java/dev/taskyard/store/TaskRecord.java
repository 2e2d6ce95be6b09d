package dev.taskyard.store;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A stored task as clients see it; an immutable snapshot.
 *
 * @param attempt the current or last attempt, 0 before the first claim is 0 too; the run id of attempt n is "n"
 * @param exitCode the exit code of the last run's main process, once the task ended, if it ended with one
 * @param result the task result, present when COMPLETED (and when FAILED if a result was produced)
 * @param error why the task FAILED or was CANCELED, present exactly then
 * @param version increases with every change of the record; used for ETags and long polls
 */
public record TaskRecord(
        String taskId,
        TaskStatus status,
        JsonNode payload,
        int progressPercent,
        Instant createdAt,
        Optional<Instant> startedAt,
        Optional<Instant> completedAt,
        int attempt,
        OptionalInt exitCode,
        Optional<JsonNode> result,
        Optional<TaskError> error,
        long version)
{
    public TaskRecord
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(status, "status is null");
        requireNonNull(payload, "payload is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(completedAt, "completedAt is null");
        requireNonNull(exitCode, "exitCode is null");
        requireNonNull(result, "result is null");
        requireNonNull(error, "error is null");
    }
}
