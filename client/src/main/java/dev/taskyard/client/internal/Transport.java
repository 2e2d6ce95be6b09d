package dev.taskyard.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import dev.taskyard.client.ApiRequest;
import dev.taskyard.client.ApiResponse;
import dev.taskyard.client.Interceptor;

import static java.util.Objects.requireNonNull;

/**
 * The end of the chain: sends the request with the JDK {@link HttpClient}. A non-streaming answer is read whole here,
 * so that a body cut short fails inside the chain (and can be retried); a streaming one is handed over open.
 */
public final class Transport
        implements Interceptor
{
    private final HttpClient http;

    public Transport(HttpClient http)
    {
        this.http = requireNonNull(http, "http is null");
    }

    @Override
    public ApiResponse intercept(Chain chain)
            throws IOException
    {
        ApiRequest request = chain.request();
        HttpRequest.Builder builder = HttpRequest.newBuilder(request.uri()).timeout(request.timeout());
        request.headers().forEach(builder::header);
        builder.method(request.method(), request.body().map(HttpRequest.BodyPublishers::ofByteArray)
                .orElse(HttpRequest.BodyPublishers.noBody()));
        HttpResponse<InputStream> response;
        try {
            response = http.send(builder.build(), HttpResponse.BodyHandlers.ofInputStream());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted during " + request.describe());
            interrupted.initCause(e);
            throw interrupted;
        }
        if (request.streaming()) {
            return ApiResponse.streamed(request, response.statusCode(), response.headers().map(), response.body());
        }
        byte[] body;
        try (InputStream in = response.body()) {
            body = in.readAllBytes();
        }
        return ApiResponse.buffered(request, response.statusCode(), response.headers().map(), body);
    }

    @Override
    public String toString()
    {
        return "Transport[" + http.version() + "]";
    }
}
