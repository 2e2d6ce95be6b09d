package dev.taskyard.client;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * A task to submit: its JSON payload and, optionally, the {@code Idempotency-Key} to send. Without a key the client
 * generates a fresh random one per {@link TaskyardClient#submit} call; give one to make a submit safe to repeat
 * across processes (e.g. after an {@link SubmitOutcomeUnknownException}).
 *
 * @param payload the task payload, a JSON object; copied
 * @param idempotencyKey 1 to 255 visible ASCII characters
 */
public record SubmitRequest(JsonNode payload, Optional<String> idempotencyKey)
{
    public SubmitRequest
    {
        requireNonNull(payload, "payload is null");
        if (!payload.isObject()) {
            throw new IllegalArgumentException("the payload must be a JSON object");
        }
        payload = payload.deepCopy();
        requireNonNull(idempotencyKey, "idempotencyKey is null");
        idempotencyKey.ifPresent(key -> {
            if (!key.matches("[\\x21-\\x7e]{1,255}")) {
                throw new IllegalArgumentException("an idempotency key must be 1 to 255 visible ASCII characters");
            }
        });
    }

    /** A request whose key the client generates. */
    public static SubmitRequest of(JsonNode payload)
    {
        return new SubmitRequest(payload, Optional.empty());
    }

    /** A copy with the given idempotency key. */
    public SubmitRequest withIdempotencyKey(String key)
    {
        return new SubmitRequest(payload, Optional.of(requireNonNull(key, "key is null")));
    }

    /** The payload, as a defensive copy. */
    @Override
    public JsonNode payload()
    {
        return payload.deepCopy();
    }
}
