package dev.taskyard.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.client.ApiResponse;
import dev.taskyard.client.IdempotencyConflictException;
import dev.taskyard.client.InvalidRequestException;
import dev.taskyard.client.NotFoundException;
import dev.taskyard.client.ProblemException;
import dev.taskyard.client.ProblemException.FieldError;
import dev.taskyard.client.ProblemException.Problem;
import dev.taskyard.client.ServerBusyException;
import dev.taskyard.client.UnauthorizedException;

/** Turns error answers into typed {@link ProblemException}s. */
public final class Problems
{
    private static final int MAX_BODY = 64 * 1024;
    private static final int MAX_DETAIL = 200;
    private static final Set<String> MEMBERS = Set.of("type", "title", "status", "detail", "instance", "errors");

    private Problems() {}

    /** Reads the (error) answer's body, closes the response, and returns the exception it stands for. */
    public static ProblemException toException(ApiResponse response, Instant now)
    {
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readNBytes(MAX_BODY);
        }
        catch (IOException e) {
            body = new byte[0];
        }
        finally {
            response.close();
        }
        Problem problem = decode(response, body, now);
        boolean submit = response.request().header(dev.taskyard.client.ApiRequest.IDEMPOTENCY_KEY).isPresent();
        return switch (problem.status()) {
            case 400 -> new InvalidRequestException(problem);
            case 401, 403 -> new UnauthorizedException(problem);
            case 404 -> new NotFoundException(problem);
            case 409, 422 -> submit ? new IdempotencyConflictException(problem) : new ProblemException(problem);
            case 429, 503 -> new ServerBusyException(problem);
            default -> new ProblemException(problem);
        };
    }

    static Problem decode(ApiResponse response, byte[] body, Instant now)
    {
        int status = response.status();
        var retryAfter = RetryAfter.parse(response.header("Retry-After"), now);
        String contentType = response.header("Content-Type").orElse("");
        if (contentType.contains("json")) {
            try {
                JsonNode node = Json.read(body);
                List<FieldError> errors = new ArrayList<>();
                for (JsonNode error : node.path("errors")) {
                    errors.add(new FieldError(Json.text(error, "path").orElse(""),
                            Json.text(error, "message").orElse("")));
                }
                Map<String, JsonNode> extensions = new LinkedHashMap<>();
                node.fields().forEachRemaining(field -> {
                    if (!MEMBERS.contains(field.getKey())) {
                        extensions.put(field.getKey(), field.getValue());
                    }
                });
                return new Problem(status, Json.text(node, "type").orElse("about:blank"),
                        Json.text(node, "title").orElse(reason(status)), Json.text(node, "detail").orElse(""),
                        Json.text(node, "instance"), errors, extensions, retryAfter);
            }
            catch (IOException e) {
                // not a problem document after all: read as text below
            }
        }
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.length() > MAX_DETAIL) {
            text = text.substring(0, MAX_DETAIL) + "…";
        }
        return new Problem(status, "about:blank", reason(status), text, Optional.empty(),
                List.of(), Map.of(), retryAfter);
    }

    private static String reason(int status)
    {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 422 -> "Unprocessable Content";
            case 425 -> "Too Early";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "HTTP " + status;
        };
    }
}
