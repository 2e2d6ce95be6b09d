package dev.taskyard.engine;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * An HTTP request a task sent to a proxy.
 *
 * @param path the request path with the proxy name prefix stripped, e.g. {@code /v1/ping}; starts with {@code /}
 */
public record ProxyRequest(String method, String path, Map<String, List<String>> headers, byte[] body)
{
    public ProxyRequest
    {
        requireNonNull(method, "method is null");
        requireNonNull(path, "path is null");
        headers = Map.copyOf(requireNonNull(headers, "headers is null"));
        body = requireNonNull(body, "body is null").clone();
    }

    @Override
    public byte[] body()
    {
        return body.clone();
    }
}
