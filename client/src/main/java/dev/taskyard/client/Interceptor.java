package dev.taskyard.client;

import java.io.IOException;

/**
 * Observes, rewrites, retries or short-circuits the calls of a {@link TaskyardClient}, in the style of OkHttp's
 * interceptors. The chain of a client is, in this order: the interceptors added with
 * {@link TaskyardClient.Builder#addInterceptor}, the client's {@link RetryPolicy}, the headers interceptor (adds
 * {@code Authorization}, {@code Accept}, {@code User-Agent}) and the transport (the JDK {@code HttpClient}).
 *
 * <p>Contract: {@link #intercept} returns a response, never null (a non-null check fails the call otherwise). It
 * may call {@link Chain#proceed} more than once (that is how the retry policy works) and must close every response
 * it drops. An {@link IOException} means a transport failure; any other exception ends the call as it is.
 * Interceptors are shared by every call of the client and must be thread-safe.
 */
@FunctionalInterface
public interface Interceptor
{
    ApiResponse intercept(Chain chain)
            throws IOException;

    /** The rest of the chain for one call. Immutable; safe to call {@link #proceed} several times. */
    interface Chain
    {
        /** The request as it reached this interceptor. */
        ApiRequest request();

        /** Hands {@code request} to the next interceptor and returns its response. */
        ApiResponse proceed(ApiRequest request)
                throws IOException;
    }
}
