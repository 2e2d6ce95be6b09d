package dev.taskyard.store;

import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A task to store.
 *
 * @param payload the whole task payload, already validated by the caller against the merged payload schema
 * @param idempotencyKey when present, a second submit with the same key and the same payload returns the first task;
 *        with another payload it is refused with {@link IdempotencyConflictException}
 * @param deadline when the task must be finished
 */
public record SubmitRequest(JsonNode payload, Optional<String> idempotencyKey, Optional<Instant> deadline)
{
    public SubmitRequest
    {
        requireNonNull(payload, "payload is null");
        requireNonNull(idempotencyKey, "idempotencyKey is null");
        requireNonNull(deadline, "deadline is null");
    }
}
