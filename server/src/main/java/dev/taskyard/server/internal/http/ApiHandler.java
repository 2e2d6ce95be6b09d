package dev.taskyard.server.internal.http;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The API's only Jetty handler: authenticates (every route but {@link #PUBLIC} needs a bearer token), routes, times
 * each request into {@code http.server.requests}, and turns every error into a problem: unknown route 404, wrong
 * method 405 with {@code Allow}, handler problems as thrown, anything unexpected 500 (logged with a stack trace).
 * {@code HEAD} is answered on every {@code GET} route by the GET handler, without a body.
 * Handlers never block the calling server thread for long: waits and streams continue on other threads.
 */
public final class ApiHandler
        extends Handler.Abstract
{
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** Routes answered without a token. */
    public static final Set<String> PUBLIC = Set.of("/healthz");

    private final Routes routes;
    private final Authenticator authenticator;
    private final MeterRegistry meters;
    private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();

    private record TimerKey(String method, String template, int status)
    {
        // written out: a record's generated equals and hashCode go through an invokedynamic bootstrap that shows up in
        // profiles of the submit path
        @Override
        public boolean equals(Object other)
        {
            return other instanceof TimerKey key && status == key.status && method.equals(key.method)
                    && template.equals(key.template);
        }

        @Override
        public int hashCode()
        {
            return (method.hashCode() * 31 + template.hashCode()) * 31 + status;
        }
    }

    public ApiHandler(Routes routes, Authenticator authenticator, MeterRegistry meters)
    {
        this.routes = requireNonNull(routes, "routes is null");
        this.authenticator = requireNonNull(authenticator, "authenticator is null");
        this.meters = requireNonNull(meters, "meters is null");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback)
    {
        long start = System.nanoTime();
        String method = request.getMethod();
        // the raw path: parameters are decoded one by one (the API is not below a context path)
        Optional<Routes.Match> match = routes.match(request.getHttpURI().getPath());
        String template = match.map(Routes.Match::template).orElse("unmatched");
        Exchange exchange = new Exchange(request, response, new Callback()
        {
            @Override
            public void succeeded()
            {
                record(method, template, response.getStatus(), start);
                callback.succeeded();
            }

            @Override
            public void failed(Throwable x)
            {
                record(method, template, response.getStatus(), start);
                callback.failed(x);
            }
        });
        try {
            if (!PUBLIC.contains(exchange.path())) {
                authenticator.check(request.getHeaders().get("Authorization"));
            }
            if (match.isEmpty()) {
                throw ApiProblem.notFound("no resource at " + exchange.path());
            }
            Map<String, Routes.Handler> methods = match.get().methods();
            // HEAD is GET without the body: same status and headers (Jetty writes no content for a HEAD request)
            Routes.Handler handler = methods.get(method.equals("HEAD") ? "GET" : method);
            if (handler == null) {
                throw ApiProblem.of(405, "method-not-allowed", "Method Not Allowed", method + " is not allowed on "
                        + match.get().template())
                        .withHeader("Allow", match.get().allow());
            }
            handler.handle(exchange, Routes.decode(match.get().parameters()));
        }
        catch (ApiProblem problem) {
            exchange.sendProblem(problem);
        }
        catch (Exception e) {
            if (e instanceof org.eclipse.jetty.http.HttpException http && http.getCode() >= 400
                    && http.getCode() < 500) {
                // Jetty's own parse errors (e.g. an undecodable query string) are the client's
                exchange.sendProblem(ApiProblem.of(http.getCode(), "bad-request", "Bad Request",
                        String.valueOf(http.getReason())));
                return true;
            }
            LOG.error("{} {} failed", method, exchange.path(), e);
            exchange.sendProblem(ApiProblem.of(500, "internal-error", "Internal Server Error",
                    "the server failed; see its log"));
        }
        catch (Error e) {
            LOG.error("{} {} failed", method, exchange.path(), e);
            exchange.sendProblem(ApiProblem.of(500, "internal-error", "Internal Server Error",
                    "the server failed; see its log"));
        }
        return true;
    }

    private void record(String method, String template, int status, long start)
    {
        // looked up by a plain key: building and registering the meter id on every request costs more than the answer
        // (a record of the three parts: a string of them would be built and hashed anew on every request)
        timers.computeIfAbsent(new TimerKey(method, template, status), key -> Timer.builder("http.server.requests")
                        .description("HTTP requests by method, route and status")
                        .tags("method", method, "route", template, "status", Integer.toString(status))
                        .register(meters))
                .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /** Headers of non-terminal answers. */
    public static Map<String, String> retryAfter(int seconds)
    {
        return Map.of("Retry-After", Integer.toString(seconds));
    }
}
