package dev.taskyard.client.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.taskyard.client.ApiRequest;
import dev.taskyard.client.ApiResponse;
import dev.taskyard.client.IdempotencyConflictException;
import dev.taskyard.client.ProblemException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DecodingTest
{
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void retryAfterIsSecondsOrAnHttpDate()
    {
        assertThat(RetryAfter.parse(Optional.of("7"), NOW)).contains(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse(Optional.of(" 0 "), NOW)).contains(Duration.ZERO);
        assertThat(RetryAfter.parse(Optional.of("Sun, 01 Mar 2026 12:00:30 GMT"), NOW))
                .contains(Duration.ofSeconds(30));
        assertThat(RetryAfter.parse(Optional.of("Sun, 01 Mar 2026 11:00:00 GMT"), NOW)).contains(Duration.ZERO);
        assertThat(RetryAfter.parse(Optional.of("-1"), NOW)).isEmpty();
        assertThat(RetryAfter.parse(Optional.of("later"), NOW)).isEmpty();
        assertThat(RetryAfter.parse(Optional.empty(), NOW)).isEmpty();
    }

    @Test
    void aBrokenProblemDocumentIsReadAsText()
    {
        ProblemException e = Problems.toException(response(502, "application/problem+json", "{not json"), NOW);

        assertThat(e.status()).isEqualTo(502);
        assertThat(e.type()).isEqualTo("about:blank");
        assertThat(e.title()).isEqualTo("Bad Gateway");
        assertThat(e.detail()).isEqualTo("{not json");
    }

    @Test
    void aConflictIsAnIdempotencyConflictOnlyOnASubmit()
    {
        ApiRequest submit = new ApiRequest("POST", URI.create("http://127.0.0.1/v1/tasks"),
                Map.of("Idempotency-Key", "k"), Optional.of(new byte[0]), false, false, Duration.ofSeconds(1));
        ApiResponse answer =
                ApiResponse.buffered(submit, 409, Map.of("Content-Type", List.of("application/problem+json")),
                ("{\"type\":\"https://taskyard.dev/problems/idempotency-key-reused\",\"title\":\"Conflict\","
                        + "\"status\":409,\"detail\":\"d\"}").getBytes(StandardCharsets.UTF_8));

        assertThat(Problems.toException(answer, NOW)).isInstanceOf(IdempotencyConflictException.class);
        assertThat(Problems.toException(response(409, "application/problem+json", "{}"), NOW).getClass())
                .isEqualTo(ProblemException.class);
    }

    private static ApiResponse response(int status, String contentType, String body)
    {
        Map<String, List<String>> headers = new HashMap<>();
        headers.put("Content-Type", List.of(contentType));
        return ApiResponse.buffered(ApiRequest.get(URI.create("http://127.0.0.1/v1/tasks/t1"),
                Duration.ofSeconds(1)), status, headers, body.getBytes(StandardCharsets.UTF_8));
    }
}
