package dev.taskyard.client.internal;

import java.io.IOException;

import dev.taskyard.client.ApiResponse;
import dev.taskyard.client.Interceptor;

import static java.util.Objects.requireNonNull;

/** Adds {@code Authorization: Bearer …}, {@code Accept} and {@code User-Agent}; its toString never shows the token. */
public final class HeadersInterceptor
        implements Interceptor
{
    private final String authorization;
    private final String userAgent;

    public HeadersInterceptor(String token, String userAgent)
    {
        this.authorization = "Bearer " + requireNonNull(token, "token is null");
        this.userAgent = requireNonNull(userAgent, "userAgent is null");
    }

    @Override
    public ApiResponse intercept(Chain chain)
            throws IOException
    {
        var request = chain.request().withHeader("Authorization", authorization).withHeader("User-Agent", userAgent);
        if (request.header("Accept").isEmpty()) {
            request = request.withHeader("Accept", "application/json, application/problem+json");
        }
        return chain.proceed(request);
    }

    @Override
    public String toString()
    {
        return "HeadersInterceptor[Authorization: Bearer <redacted>]";
    }
}
