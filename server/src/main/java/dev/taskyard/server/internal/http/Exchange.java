package dev.taskyard.server.internal.http;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import static java.util.Objects.requireNonNull;

/**
 * One request being answered: the Jetty request, response and callback, with helpers that write JSON and problems.
 * Exactly one {@code send…} call (or a handler's own streaming) completes the callback.
 */
public final class Exchange
{
    public static final String JSON = "application/json";
    public static final String PROBLEM_JSON = "application/problem+json";
    // the headers of every answer, encoded once (a header given by name is looked up and encoded per answer)
    private static final HttpField JSON_TYPE = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, JSON);
    private static final HttpField PROBLEM_JSON_TYPE = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, PROBLEM_JSON);
    private static final HttpField NO_SNIFF = new PreEncodedHttpField("X-Content-Type-Options", "nosniff");

    private final Request request;
    private final Response response;
    private final Callback callback;
    private final AtomicBoolean answered = new AtomicBoolean();

    public Exchange(Request request, Response response, Callback callback)
    {
        this.request = requireNonNull(request, "request is null");
        this.response = requireNonNull(response, "response is null");
        this.callback = requireNonNull(callback, "callback is null");
    }

    public Request request()
    {
        return request;
    }

    public Response response()
    {
        return response;
    }

    public Callback callback()
    {
        return callback;
    }

    /** The path of the request. */
    public String path()
    {
        return Request.getPathInContext(request);
    }

    public String header(String name)
    {
        return request.getHeaders().get(name);
    }

    /** Marks the exchange answered; false if it already was (the caller must then not write). */
    public boolean claim()
    {
        return answered.compareAndSet(false, true);
    }

    public void sendJson(int status, JsonNode body, Map<String, String> headers)
    {
        send(status, JSON, Json.bytes(body), headers);
    }

    /**
     * Sends {@code body}, already serialized JSON, with {@code headers}: like {@link #send} with {@link #JSON}, for
     * answers whose headers are made as fields (no lookup of the header by name).
     */
    public void sendJson(int status, byte[] body, HttpField... headers)
    {
        if (!claim()) {
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(JSON_TYPE);
        response.getHeaders().put(NO_SNIFF);
        for (HttpField header : headers) {
            response.getHeaders().put(header);
        }
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    public void sendEmpty(int status, Map<String, String> headers)
    {
        if (!claim()) {
            return;
        }
        response.setStatus(status);
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.write(true, null, callback);
    }

    /**
     * Sends a problem. If the request's body has not all been read (refused before reading it, or cut short), what has
     * arrived is dropped and the answer says {@code Connection: close}: Jetty closes such a connection after the
     * answer, and a client that does not know would send its next request on it (the JDK client then fails with
     * "header parser received no bytes"). Call only when no read of the body is pending.
     */
    public void sendProblem(ApiProblem problem)
    {
        ApiProblem answer = request.consumeAvailable() ? problem : problem.withHeader("Connection", "close");
        send(answer.status(), PROBLEM_JSON, Json.bytes(Json.problem(answer, path())), answer.headers());
    }

    public void send(int status, String contentType, byte[] body, Map<String, String> headers)
    {
        if (!claim()) {
            return;
        }
        response.setStatus(status);
        response.getHeaders().put(contentType(contentType));
        response.getHeaders().put(NO_SNIFF);
        headers.forEach((k, v) -> response.getHeaders().put(k, v));
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private static HttpField contentType(String contentType)
    {
        return switch (contentType) {
            case JSON -> JSON_TYPE;
            case PROBLEM_JSON -> PROBLEM_JSON_TYPE;
            default -> new HttpField(HttpHeader.CONTENT_TYPE, contentType);
        };
    }
}
