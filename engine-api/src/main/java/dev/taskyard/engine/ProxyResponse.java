package dev.taskyard.engine;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/** The answer of a {@link ProxyHandler}. */
public record ProxyResponse(int status, Map<String, List<String>> headers, byte[] body)
{
    public ProxyResponse
    {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status out of range: " + status);
        }
        headers = Map.copyOf(requireNonNull(headers, "headers is null"));
        body = requireNonNull(body, "body is null").clone();
    }

    /** A {@code text/plain} answer. */
    public static ProxyResponse text(int status, String body)
    {
        return new ProxyResponse(status, Map.of("Content-Type", List.of("text/plain; charset=utf-8")),
                body.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] body()
    {
        return body.clone();
    }
}
