package dev.taskyard.server.internal.http;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.google.common.base.Suppliers;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.server.internal.console.ConsoleHandler;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.TaskStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import static java.util.Objects.requireNonNull;

/**
 * The HTTP side of {@code taskyard serve}: a Jetty 12 server (core handler API, no servlets) bound to one address,
 * answering the task API over a {@link TaskStore}. Life-cycle: {@link #start()} → {@link #stop()}.
 */
public final class ApiServer
        implements AutoCloseable
{
    /** Settings of the API. */
    public record Settings(String host, int port, List<String> tokens, int maxBodyBytes,
            int maxStreams, Duration longPollSweep)
    {
        public Settings
        {
            requireNonNull(host, "host is null");
            tokens = List.copyOf(tokens);
            requireNonNull(longPollSweep, "longPollSweep is null");
        }
    }

    /** How long one count of the store serves the task gauges (one scrape reads them all within it). */
    private static final Duration COUNT_REUSE = Duration.ofMillis(100);

    private final Server server;
    private final ServerConnector connector;
    private final ChangeWatcher watcher;
    private final Streamer streamer;
    private final Routes routes;
    private final PrometheusMeterRegistry meters;
    private final StatsResource stats;
    private final Supplier<Map<TaskStatus, Long>> counts;

    /** A server without named actions. */
    public ApiServer(Settings settings, TaskStore store, JsonSchema payloadSchema)
    {
        this(settings, store, payloadSchema, Actions.none());
    }

    /** A server that also answers {@code /v1/actions} for {@code actions}. */
    public ApiServer(Settings settings, TaskStore store, JsonSchema payloadSchema, Actions actions)
    {
        requireNonNull(actions, "actions is null");
        requireNonNull(store, "store is null");
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // the task gauges of one scrape share one count of the store (a scan of the tasks table, which with a shared
        // PostgreSQL every node's scrapes pay for): consistent with each other and six times cheaper
        // (held in a field: a gauge keeps its state object only weakly)
        counts = Suppliers.memoizeWithExpiration(() -> count(store), COUNT_REUSE.toNanos(), TimeUnit.NANOSECONDS);
        for (TaskStatus status : TaskStatus.values()) {
            Gauge.builder("taskyard.tasks", counts, c -> count(c, status)).description("tasks in the store by state")
                    .tag("state", status.name())
                    .register(meters);
        }
        Gauge.builder("taskyard.queue.depth", counts, c -> count(c, TaskStatus.PENDING))
                .description("tasks waiting to run").register(meters);
        watcher = new ChangeWatcher(store, settings.longPollSweep());
        Gauge.builder("taskyard.http.long.polls", watcher, ChangeWatcher::waiting)
                .description("long polls waiting").register(meters);
        streamer = new Streamer(settings.maxStreams());
        stats = new StatsResource(store, () -> (long) meters.counter(TasksResource.SUBMITTED).count(),
                StatsResource.INTERVAL, StatsResource.KEEP, Clock.systemUTC());
        routes = routes(store, payloadSchema, actions, settings.maxBodyBytes(), watcher, streamer, meters, stats);
        QueuedThreadPool threads = new QueuedThreadPool(200, 8);
        threads.setName("taskyard-http");
        threads.setDaemon(true);
        server = new Server(threads);
        // task ids and artifact names are path parameters and may hold an encoded / or %: the router matches the raw
        // path and decodes each parameter (Routes), and the console refuses any name with "..", so Jetty need not
        // reject such paths as ambiguous
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(UriCompliance.DEFAULT.with("TASKYARD", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        server.addConnector(connector);
        // the web console's static files at /ui/, in front of the API (which it uses like any other client)
        server.setHandler(new ConsoleHandler(new ApiHandler(routes, new Authenticator(settings.tokens()), meters)));
        server.setErrorHandler(new ProblemErrorHandler());
        server.setStopTimeout(5000);
    }

    /** The route table of the API; every route of the OpenAPI document is one of these. */
    static Routes routes(TaskStore store, JsonSchema payloadSchema, Actions actions, int maxBodyBytes,
            ChangeWatcher watcher, Streamer streamer, PrometheusMeterRegistry meters, StatsResource stats)
    {
        TasksResource tasks = new TasksResource(store, payloadSchema, maxBodyBytes, meters);
        ActionsResource named = new ActionsResource(actions, tasks);
        TaskResource task = new TaskResource(store, watcher);
        LogResource log = new LogResource(store, streamer);
        ArtifactsResource artifacts = new ArtifactsResource(store, streamer);
        MetaResource meta = new MetaResource(meters);
        return new Routes()
                .add("GET", "/healthz", meta::health)
                .add("GET", "/metrics", meta::metrics)
                .add("GET", "/v1/openapi.json", meta::openApi)
                .add("GET", "/v1/schemas/payload", tasks::payloadSchema)
                .add("POST", "/v1/tasks", tasks::submit)
                .add("GET", "/v1/tasks", tasks::list)
                .add("GET", "/v1/tasks/{task_id}", task::get)
                .add("DELETE", "/v1/tasks/{task_id}", task::delete)
                .add("POST", "/v1/tasks/{task_id}/cancel", task::cancel)
                .add("GET", "/v1/tasks/{task_id}/payload", new PayloadResource(store)::get)
                .add("GET", "/v1/tasks/{task_id}/log", log::get)
                .add("GET", "/v1/tasks/{task_id}/artifacts", artifacts::list)
                .add("GET", "/v1/tasks/{task_id}/artifacts/{name+}", artifacts::download)
                .add("GET", "/v1/stats", stats::get)
                .add("GET", "/v1/actions", named::list)
                .add("POST", "/v1/actions/{action}", named::run);
    }

    /** The store's counts by status; empty when the store cannot count (the gauges then read NaN). */
    private static Map<TaskStatus, Long> count(TaskStore store)
    {
        try {
            return store.countByStatus();
        }
        catch (Exception e) {
            return Map.of();
        }
    }

    private static double count(Supplier<Map<TaskStatus, Long>> counts, TaskStatus status)
    {
        Long count = counts.get().get(status);
        return count == null ? Double.NaN : count;
    }

    public void start()
            throws Exception
    {
        stats.start();
        server.start();
    }

    /** Where the server listens (the real port when 0 was asked for). */
    public InetSocketAddress address()
    {
        return new InetSocketAddress(connector.getHost(), connector.getLocalPort());
    }

    public Routes routes()
    {
        return routes;
    }

    /** Answers waiting long polls, stops accepting, and lets running requests finish within 5 s. */
    public void stop()
            throws Exception
    {
        watcher.close();
        server.stop();
        streamer.close();
        stats.close();
    }

    @Override
    public void close()
            throws Exception
    {
        stop();
    }

    /** Jetty's own errors (bad URIs, bad headers, …) as problem+json too. */
    private static final class ProblemErrorHandler
            extends ErrorHandler
    {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                org.eclipse.jetty.util.Callback callback)
        {
            Object status = request.getAttribute(ERROR_STATUS);
            int code = status instanceof Integer i ? i : response.getStatus() >= 400 ? response.getStatus() : 500;
            Object message = request.getAttribute(ERROR_MESSAGE);
            String detail = message == null ? org.eclipse.jetty.http.HttpStatus.getMessage(code) : message.toString();
            ApiProblem problem = ApiProblem.of(code, code == 400 ? "bad-request" : "http-" + code,
                    org.eclipse.jetty.http.HttpStatus.getMessage(code), detail);
            response.setStatus(code);
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, Exchange.PROBLEM_JSON);
            response.write(true, java.nio.ByteBuffer.wrap(Json.bytes(Json.problem(problem, null))), callback);
            return true;
        }
    }
}
