package dev.taskyard.worker;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A task as the queue hands it out.
 *
 * @param taskId unique, {@code [A-Za-z0-9_-]{1,64}}
 * @param payload the whole task payload; the worker validates it
 * @param deadline when the task must be finished, if ever
 */
public record TaskSpec(String taskId, JsonNode payload, Optional<Instant> deadline)
{
    private static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public TaskSpec
    {
        requireNonNull(taskId, "taskId is null");
        requireNonNull(payload, "payload is null");
        requireNonNull(deadline, "deadline is null");
        if (!TASK_ID.matcher(taskId).matches()) {
            throw new IllegalArgumentException("invalid task id \"" + taskId + "\"");
        }
    }

    public TaskSpec(String taskId, JsonNode payload)
    {
        this(taskId, payload, Optional.empty());
    }
}
