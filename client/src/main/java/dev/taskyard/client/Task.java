package dev.taskyard.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import static java.util.Objects.requireNonNull;

/**
 * A task's status monitor as the server answered it: an immutable snapshot.
 *
 * @param progressPercent 0 to 100
 * @param createdAt empty only when the server did not send it
 * @param attempt the current or last attempt, 0 before the first
 * @param exitCode the exit code of the task's main process, when it ended with one and the server reports it
 * @param result present when COMPLETED (and possibly when FAILED)
 * @param error present when FAILED or CANCELED
 * @param links the server's links by relation ({@code self}, {@code log}, {@code artifacts}, {@code cancel});
 *        possibly empty
 * @param etag the {@code ETag} of this state, when the answer carried one
 * @param retryAfter the server's {@code Retry-After} hint for the next poll, when the answer carried one
 * @param document the status monitor as the server sent it, members this record does not model included (an empty
 *        object for a task built by hand); copied
 */
public record Task(
        String taskId,
        TaskStatus status,
        int progressPercent,
        Optional<Instant> createdAt,
        Optional<Instant> startedAt,
        Optional<Instant> completedAt,
        int attempt,
        OptionalInt exitCode,
        Optional<JsonNode> result,
        Optional<TaskError> error,
        Map<String, String> links,
        Optional<String> etag,
        Optional<Duration> retryAfter,
        JsonNode document)
{
    public Task
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(status, "status is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(completedAt, "completedAt is null");
        requireNonNull(exitCode, "exitCode is null");
        requireNonNull(result, "result is null");
        requireNonNull(error, "error is null");
        links = Map.copyOf(requireNonNull(links, "links is null"));
        requireNonNull(etag, "etag is null");
        requireNonNull(retryAfter, "retryAfter is null");
        result = result.map(JsonNode::deepCopy);
        document = requireNonNull(document, "document is null").deepCopy();
    }

    /** A task without the server's document (its {@link #document()} is an empty object). */
    public Task(String taskId, TaskStatus status, int progressPercent, Optional<Instant> createdAt,
            Optional<Instant> startedAt, Optional<Instant> completedAt, int attempt, OptionalInt exitCode,
            Optional<JsonNode> result, Optional<TaskError> error, Map<String, String> links, Optional<String> etag,
            Optional<Duration> retryAfter)
    {
        this(taskId, status, progressPercent, createdAt, startedAt, completedAt, attempt, exitCode, result, error,
                links, etag, retryAfter, JsonNodeFactory.instance.objectNode());
    }

    /** The status monitor as the server sent it, as a defensive copy. */
    @Override
    public JsonNode document()
    {
        return document.deepCopy();
    }

    /** The result, as a defensive copy. */
    @Override
    public Optional<JsonNode> result()
    {
        return result.map(JsonNode::deepCopy);
    }

    /** Whether the task has ended. */
    public boolean isTerminal()
    {
        return status.isTerminal();
    }
}
