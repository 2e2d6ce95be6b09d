package dev.taskyard.client.testing;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * A request as the {@link MockServer} received it.
 *
 * @param sequence 0 for the first request the server read, 1 for the next, …
 * @param target the request target: path and query
 */
public record RecordedRequest(int sequence, String method, String target, Map<String, String> headers, byte[] body)
{
    public RecordedRequest
    {
        requireNonNull(method, "method is null");
        requireNonNull(target, "target is null");
        Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        copy.putAll(headers);
        headers = Collections.unmodifiableMap(copy);
        body = body.clone();
    }

    public String path()
    {
        return URI.create(target).getRawPath();
    }

    public Optional<String> query()
    {
        return Optional.ofNullable(URI.create(target).getRawQuery());
    }

    public Optional<String> header(String name)
    {
        return Optional.ofNullable(headers.get(name));
    }

    public String bodyText()
    {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public byte[] body()
    {
        return body.clone();
    }

    @Override
    public String toString()
    {
        return "#" + sequence + " " + method + " " + target;
    }
}
