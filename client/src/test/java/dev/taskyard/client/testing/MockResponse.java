package dev.taskyard.client.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A scripted answer of the {@link MockServer}; immutable, built with withers.
 *
 * @param cutAt for {@link SocketPolicy#DISCONNECT_DURING_RESPONSE_BODY}: how many body bytes are sent (-1: half)
 * @param beforeCut for {@link SocketPolicy#DISCONNECT_DURING_RESPONSE_BODY}: runs after the partial body was flushed
 *        and before the connection is closed, e.g. to wait until the client took those bytes in; null: a short pause
 */
public record MockResponse(int status, List<Map.Entry<String, String>> headers, byte[] body, SocketPolicy policy,
        int cutAt, Runnable beforeCut)
{
    public MockResponse
    {
        headers = List.copyOf(requireNonNull(headers, "headers is null"));
        body = requireNonNull(body, "body is null").clone();
        requireNonNull(policy, "policy is null");
    }

    public static MockResponse status(int status)
    {
        return new MockResponse(status, List.of(), new byte[0], SocketPolicy.NORMAL, -1, null);
    }

    /** A JSON answer. */
    public static MockResponse json(int status, String json)
    {
        return status(status).header("Content-Type", "application/json").body(json);
    }

    /** An RFC 9457 problem answer. */
    public static MockResponse problem(int status, String type, String title, String detail)
    {
        return status(status).header("Content-Type", "application/problem+json")
                .body("{\"type\":\"https://taskyard.dev/problems/" + type + "\",\"title\":\"" + title
                        + "\",\"status\":" + status + ",\"detail\":\"" + detail + "\"}");
    }

    /** A bare socket fault; the status is never sent. */
    public static MockResponse fault(SocketPolicy policy)
    {
        return status(500).policy(policy);
    }

    public MockResponse header(String name, String value)
    {
        List<Map.Entry<String, String>> more = new ArrayList<>(headers);
        more.add(Map.entry(name, value));
        return new MockResponse(status, more, body, policy, cutAt, beforeCut);
    }

    public MockResponse body(String text)
    {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    public MockResponse body(byte[] bytes)
    {
        return new MockResponse(status, headers, bytes, policy, cutAt, beforeCut);
    }

    public MockResponse policy(SocketPolicy policy)
    {
        return new MockResponse(status, headers, body, policy, cutAt, beforeCut);
    }

    /**
     * Sends only the first {@code bytes} of the body, then closes
     * ({@link SocketPolicy#DISCONNECT_DURING_RESPONSE_BODY}).
     */
    public MockResponse cutAt(int bytes)
    {
        return new MockResponse(status, headers, body, SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY, bytes, beforeCut);
    }

    /** Sends the first {@code bytes} of the body, runs {@code beforeCut}, then closes. */
    public MockResponse cutAt(int bytes, Runnable beforeCut)
    {
        return new MockResponse(status, headers, body, SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY, bytes, beforeCut);
    }

    @Override
    public byte[] body()
    {
        return body.clone();
    }
}
