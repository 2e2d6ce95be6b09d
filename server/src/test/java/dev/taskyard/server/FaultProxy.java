package dev.taskyard.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A fault-injecting HTTP proxy on a loopback port, in the spirit of OkHttp's {@code MockWebServer} socket policies,
 * but in front of a real server: a share of reads (GET) is answered by the proxy itself with 425, 429, 502, 503 or
 * 504 (some with {@code Retry-After}), and a share of all requests loses its connection — either before the request
 * is forwarded (the server never sees it) or after (the server acted, the answer is cut off after a few bytes).
 * Counts every fault by kind so a test can show the faults happened. Thread-safe.
 */
final class FaultProxy
        implements AutoCloseable
{
    private static final List<Integer> READ_FAULTS = List.of(425, 429, 502, 503, 504);
    private static final Set<String> HOP_BY_HOP =
            Set.of("connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length",
            "expect", "te", "trailer", "proxy-connection");

    private final URI target;
    private final double readFailures;
    private final double resets;
    private final Server server;
    private final ServerConnector connector;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    /**
     * @param readFailures the share of GETs answered with a transient error status
     * @param resets the share of requests whose connection is reset (half before forwarding, half after)
     */
    FaultProxy(URI target, double readFailures, double resets)
            throws Exception
    {
        this.target = target;
        this.readFailures = readFailures;
        this.resets = resets;
        server = new Server(new QueuedThreadPool(400, 8));
        connector = new ServerConnector(server, 1, 1);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract()
        {
            @Override
            public boolean handle(Request request, Response response, Callback callback)
            {
                try {
                    proxy(request, response, callback);
                }
                catch (Exception e) {
                    callback.failed(e);
                }
                return true;
            }
        });
        server.start();
    }

    String baseUrl()
    {
        return "http://127.0.0.1:" + connector.getLocalPort();
    }

    /** How often each kind of fault (or forwarded request) happened, e.g. {@code read-503}, {@code reset-after-POST}.
     * */
    long count(String kind)
    {
        AtomicLong count = counts.get(kind);
        return count == null ? 0 : count.get();
    }

    /** All counts, for messages. */
    Map<String, Long> counts()
    {
        Map<String, Long> copy = new java.util.TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    private void record(String kind)
    {
        counts.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    private void proxy(Request request, Response response, Callback callback)
            throws Exception
    {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String method = request.getMethod();
        byte[] body = Content.Source.asInputStream(request).readAllBytes();
        record("request-" + method);
        if (method.equals("GET") && random.nextDouble() < readFailures) {
            int status = READ_FAULTS.get(random.nextInt(READ_FAULTS.size()));
            record("read-" + status);
            response.setStatus(status);
            if (random.nextBoolean()) {
                response.getHeaders().put("Retry-After", "1");
            }
            response.getHeaders().put("Content-Type", "application/problem+json");
            byte[] problem = ("{\"type\":\"about:blank\",\"title\":\"injected " + status + "\",\"status\":" + status
                    + "}").getBytes(StandardCharsets.UTF_8);
            response.write(true, java.nio.ByteBuffer.wrap(problem), callback);
            return;
        }
        double roll = random.nextDouble();
        boolean resetBefore = roll < resets / 2;
        boolean resetAfter = !resetBefore && roll < resets;
        if (resetBefore) {
            record("reset-before-" + method);
            abort(request, callback);
            return;
        }
        HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(target + request.getHttpURI().getPathQuery()))
                .timeout(Duration.ofSeconds(120))
                .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (HttpField field : request.getHeaders()) {
            if (!HOP_BY_HOP.contains(field.getName().toLowerCase(Locale.ROOT))) {
                forward.header(field.getName(), field.getValue());
            }
        }
        HttpResponse<InputStream> answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = answer.body()) {
            response.setStatus(answer.statusCode());
            answer.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    values.forEach(value -> response.getHeaders().add(name, value));
                }
            });
            answer.headers().firstValue("Content-Length")
                    .ifPresent(length -> response.getHeaders().put("Content-Length", length));
            long cutAt = resetAfter ? random.nextLong(0, 64) : Long.MAX_VALUE;
            if (resetAfter) {
                record("reset-after-" + method);
            }
            OutputStream out = Content.Sink.asOutputStream(response);
            byte[] buffer = new byte[8192];
            long written = 0;
            int n;
            while ((n = in.read(buffer)) >= 0) {
                int allowed = (int) Math.min(n, cutAt - written);
                out.write(buffer, 0, allowed);
                out.flush();
                written += allowed;
                if (written >= cutAt) {
                    abort(request, callback);
                    return;
                }
            }
            if (resetAfter) {
                // the whole answer fit before the cut: cut it at its end, before the response completes
                abort(request, callback);
                return;
            }
            out.close();
            callback.succeeded();
        }
        catch (IOException e) {
            callback.failed(e);
        }
    }

    /** Drops the connection without an answer (or in the middle of one). */
    private static void abort(Request request, Callback callback)
    {
        request.getConnectionMetaData().getConnection().getEndPoint().close();
        callback.failed(new IOException("injected connection reset"));
    }

    @Override
    public void close()
            throws Exception
    {
        server.stop();
    }
}
