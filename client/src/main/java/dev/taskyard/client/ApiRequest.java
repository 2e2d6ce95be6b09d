package dev.taskyard.client;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One HTTP request of the client as it travels the {@link Interceptor} chain; immutable.
 *
 * @param headers header names to values; lookups with {@link #header} ignore case. {@link #toString()} never shows the
 *        value of {@code Authorization}
 * @param body the request body, empty for bodiless methods; copied in and out
 * @param idempotent whether the caller declares the call safe to replay although its method is not a read (cancel);
 *        see {@link RetryPolicy#replayable}
 * @param streaming whether the response body is handed over as a stream (log, artifacts) instead of read whole
 *        inside the chain; a streamed body that breaks is not retried by the chain
 * @param timeout how long to wait for the answer (its headers, for a streamed one)
 */
public record ApiRequest(String method, URI uri, Map<String, String> headers, Optional<byte[]> body,
        boolean idempotent, boolean streaming, Duration timeout)
{
    /** The header of the idempotency key that makes a POST replayable. */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    public ApiRequest
    {
        requireNonNull(method, "method is null");
        requireNonNull(uri, "uri is null");
        Map<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        copy.putAll(requireNonNull(headers, "headers is null"));
        headers = Collections.unmodifiableMap(copy);
        body = requireNonNull(body, "body is null").map(byte[]::clone);
        requireNonNull(timeout, "timeout is null");
        method = method.toUpperCase(Locale.ROOT);
    }

    /** A bodiless GET. */
    public static ApiRequest get(URI uri, Duration timeout)
    {
        return new ApiRequest("GET", uri, Map.of(), Optional.empty(), false, false, timeout);
    }

    @Override
    public Optional<byte[]> body()
    {
        return body.map(byte[]::clone);
    }

    /** The value of header {@code name} (any case), if set. */
    public Optional<String> header(String name)
    {
        return Optional.ofNullable(headers.get(name));
    }

    /** A copy with header {@code name} set to {@code value}. */
    public ApiRequest withHeader(String name, String value)
    {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
        return new ApiRequest(method, uri, more, body, idempotent, streaming, timeout);
    }

    /** A copy with another timeout. */
    public ApiRequest withTimeout(Duration timeout)
    {
        return new ApiRequest(method, uri, headers, body, idempotent, streaming, timeout);
    }

    /** {@code METHOD /path?query}, as in logs and error messages. */
    public String describe()
    {
        return method + " " + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    @Override
    public boolean equals(Object o)
    {
        if (!(o instanceof ApiRequest other)) {
            return false;
        }
        return method.equals(other.method) && uri.equals(other.uri) && headers.equals(other.headers)
                && Arrays.equals(body.orElse(null), other.body.orElse(null)) && idempotent == other.idempotent
                && streaming == other.streaming && timeout.equals(other.timeout);
    }

    @Override
    public int hashCode()
    {
        return (method + uri).hashCode() * 31 + Arrays.hashCode(body.orElse(null));
    }

    @Override
    public String toString()
    {
        Map<String, String> shown = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, value) ->
                shown.put(name, name.equalsIgnoreCase("Authorization") ? "<redacted>" : value));
        return "ApiRequest[" + describe() + ", headers=" + shown + ", body="
                + body.map(b -> b.length + " bytes").orElse("none")
                + ", idempotent=" + idempotent + ", streaming=" + streaming + ", timeout=" + timeout + "]";
    }
}
