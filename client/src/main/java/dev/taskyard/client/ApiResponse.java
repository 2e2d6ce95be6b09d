package dev.taskyard.client;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * One HTTP answer travelling back through the {@link Interceptor} chain: status, headers and a body that is either
 * read whole ({@link #buffered}) or streamed ({@link #streamed}). Status and headers are immutable; the body can be
 * read once. Whoever drops a response must {@link #close()} it.
 */
public final class ApiResponse
        implements Closeable
{
    private final ApiRequest request;
    private final int status;
    private final Map<String, List<String>> headers;
    private final InputStream body;
    private final byte[] bytes;

    private ApiResponse(ApiRequest request, int status, Map<String, List<String>> headers,
            InputStream body, byte[] bytes)
    {
        this.request = requireNonNull(request, "request is null");
        this.status = status;
        Map<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        requireNonNull(headers, "headers is null").forEach((name, values) -> copy.put(name, List.copyOf(values)));
        this.headers = Collections.unmodifiableMap(copy);
        this.body = body;
        this.bytes = bytes;
    }

    /** An answer whose body was read whole. */
    public static ApiResponse buffered(ApiRequest request, int status, Map<String, List<String>> headers, byte[] body)
    {
        byte[] copy = requireNonNull(body, "body is null").clone();
        return new ApiResponse(request, status, headers, new ByteArrayInputStream(copy), copy);
    }

    /** An answer whose body is read from {@code body} as it arrives. */
    public static ApiResponse streamed(ApiRequest request, int status, Map<String, List<String>> headers,
            InputStream body)
    {
        return new ApiResponse(request, status, headers, requireNonNull(body, "body is null"), null);
    }

    /** The request this answers (as the transport sent it). */
    public ApiRequest request()
    {
        return request;
    }

    public int status()
    {
        return status;
    }

    public boolean isSuccessful()
    {
        return status >= 200 && status < 300;
    }

    /** All headers; lookups ignore case. */
    public Map<String, List<String>> headers()
    {
        return headers;
    }

    /** The first value of header {@code name} (any case). */
    public Optional<String> header(String name)
    {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The body as a stream; read it once. */
    public InputStream body()
    {
        return body;
    }

    /** The whole body: the buffered bytes, or whatever is left of the stream. */
    public byte[] bytes()
            throws IOException
    {
        if (bytes != null) {
            return bytes.clone();
        }
        try (body) {
            return body.readAllBytes();
        }
    }

    @Override
    public void close()
    {
        try {
            body.close();
        }
        catch (IOException e) {
            // nothing to do: the exchange is being abandoned
        }
    }

    @Override
    public String toString()
    {
        return "ApiResponse[" + status + " for " + request.describe() + "]";
    }
}
