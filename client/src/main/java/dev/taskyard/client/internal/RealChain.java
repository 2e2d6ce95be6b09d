package dev.taskyard.client.internal;

import java.io.IOException;
import java.util.List;

import dev.taskyard.client.ApiRequest;
import dev.taskyard.client.ApiResponse;
import dev.taskyard.client.Interceptor;

import static java.util.Objects.requireNonNull;

/** The chain of one call: immutable; {@link #proceed} runs the next interceptor on a copy one step further. */
public final class RealChain
        implements Interceptor.Chain
{
    private final List<Interceptor> interceptors;
    private final int index;
    private final ApiRequest request;

    public RealChain(List<Interceptor> interceptors, int index, ApiRequest request)
    {
        this.interceptors = List.copyOf(requireNonNull(interceptors, "interceptors is null"));
        this.index = index;
        this.request = requireNonNull(request, "request is null");
    }

    /** Runs {@code request} through every interceptor. The last one must answer without proceeding. */
    public static ApiResponse run(List<Interceptor> interceptors, ApiRequest request)
            throws IOException
    {
        return new RealChain(interceptors, 0, request).proceed(request);
    }

    @Override
    public ApiRequest request()
    {
        return request;
    }

    @Override
    public ApiResponse proceed(ApiRequest request)
            throws IOException
    {
        requireNonNull(request, "request is null");
        if (index >= interceptors.size()) {
            throw new IllegalStateException("the last interceptor of the chain must not call proceed()");
        }
        Interceptor interceptor = interceptors.get(index);
        ApiResponse response = interceptor.intercept(new RealChain(interceptors, index + 1, request));
        if (response == null) {
            throw new IllegalStateException("interceptor " + interceptor + " returned null");
        }
        return response;
    }
}
