package dev.taskyard.client.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * A scriptable HTTP/1.1 server for tests, after OkHttp's MockWebServer: a raw {@link ServerSocket} on 127.0.0.1,
 * port 0. Callers {@link #enqueue} canned answers (or set a {@link Dispatcher}) and the server replays them in order,
 * one exchange per connection, applying each answer's {@link SocketPolicy}; every request read is recorded for
 * {@link #takeRequest}. Connections are served one at a time, in the order accepted, so scripts are deterministic.
 */
public final class MockServer
        implements Closeable
{
    private static final Logger LOG = LoggerFactory.getLogger(MockServer.class);
    /** How long the server lets a client take to send its request, and how long it pauses before cutting a body. */
    private static final int SOCKET_TIMEOUT_MILLIS = 10_000;
    private static final int CUT_PAUSE_MILLIS = 100;

    /** Chooses the answer to each request; called on the server thread. */
    @FunctionalInterface
    public interface Dispatcher
    {
        MockResponse dispatch(RecordedRequest request)
                throws Exception;

        /** An answer to give before reading the request (only {@link SocketPolicy#DISCONNECT_AT_START} is), or null. */
        default MockResponse atStart()
        {
            return null;
        }
    }

    private final BlockingQueue<MockResponse> queue = new LinkedBlockingQueue<>();
    private final BlockingQueue<RecordedRequest> requests = new LinkedBlockingQueue<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final ServerSocket serverSocket;
    private final Thread thread;
    private volatile Dispatcher dispatcher = new Dispatcher()
    {
        @Override
        public MockResponse dispatch(RecordedRequest request)
        {
            MockResponse response = queue.poll();
            return response != null ? response
                    : MockResponse.problem(500, "no-response-enqueued", "Internal Server Error",
                    "the test enqueued no answer for " + request);
        }

        @Override
        public MockResponse atStart()
        {
            synchronized (queue) {
                MockResponse next = queue.peek();
                return next != null && next.policy() == SocketPolicy.DISCONNECT_AT_START ? queue.poll() : null;
            }
        }
    };

    private MockServer(ServerSocket serverSocket)
    {
        this.serverSocket = serverSocket;
        this.thread = new Thread(this::serve, "mock-server-" + serverSocket.getLocalPort());
        this.thread.setDaemon(true);
    }

    /** Starts a server on 127.0.0.1, on a free port. */
    public static MockServer start()
            throws IOException
    {
        ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        MockServer server = new MockServer(socket);
        server.thread.start();
        return server;
    }

    /** The base URL, e.g. {@code http://127.0.0.1:40123}. */
    public URI url()
    {
        return URI.create("http://127.0.0.1:" + serverSocket.getLocalPort());
    }

    public void enqueue(MockResponse response)
    {
        queue.add(requireNonNull(response, "response is null"));
    }

    /** Replaces the queue with a dispatcher. */
    public void setDispatcher(Dispatcher dispatcher)
    {
        this.dispatcher = requireNonNull(dispatcher, "dispatcher is null");
    }

    /** The next request received, waiting up to {@code timeout}; null when none came. */
    public RecordedRequest takeRequest(long timeout, TimeUnit unit)
            throws InterruptedException
    {
        return requests.poll(timeout, unit);
    }

    /** The number of requests read so far. */
    public int requestCount()
    {
        return sequence.get();
    }

    /** The number of connections accepted so far. */
    public int connectionCount()
    {
        return connections.get();
    }

    private void serve()
    {
        while (!serverSocket.isClosed()) {
            try (Socket socket = serverSocket.accept()) {
                connections.incrementAndGet();
                socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
                exchange(socket);
            }
            catch (SocketException e) {
                if (!serverSocket.isClosed()) {
                    LOG.debug("connection ended: {}", e.toString());
                }
            }
            catch (Exception e) {
                LOG.warn("exchange failed", e);
            }
        }
    }

    private void exchange(Socket socket)
            throws Exception
    {
        MockResponse early = dispatcher.atStart();
        if (early != null) {
            LOG.debug("DISCONNECT_AT_START");
            return;
        }
        InputStream in = new BufferedInputStream(socket.getInputStream());
        String requestLine = line(in);
        if (requestLine == null || requestLine.isEmpty()) {
            return;
        }
        String[] parts = requestLine.split(" ");
        Map<String, String> headers = new LinkedHashMap<>();
        String line;
        while ((line = line(in)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        byte[] body = new byte[0];
        String length = headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase("Content-Length"))
                .map(Map.Entry::getValue).findFirst().orElse(null);
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        }
        RecordedRequest request = new RecordedRequest(sequence.getAndIncrement(), parts[0], parts[1], headers, body);
        MockResponse response = dispatcher.dispatch(request);
        requests.add(request);
        LOG.debug("{} -> {} {}", request, response.status(), response.policy());
        switch (response.policy()) {
            case DISCONNECT_AT_START, DISCONNECT_AFTER_REQUEST -> {
                return;
            }
            case RESET_AFTER_REQUEST -> {
                socket.setSoLinger(true, 0);
                return;
            }
            case NO_RESPONSE -> {
                while (in.read() >= 0) {
                    // wait for the client to close
                }
                return;
            }
            default -> write(socket.getOutputStream(), response);
        }
    }

    private static void write(OutputStream out, MockResponse response)
            throws IOException, InterruptedException
    {
        byte[] body = response.body();
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(response.status()).append(' ')
                .append(reason(response.status())).append("\r\n");
        response.headers().forEach(h -> head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n"));
        if (response.status() != 304 && response.status() != 204) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("Connection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (response.policy() == SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY) {
            int cut = response.cutAt() >= 0 ? Math.min(response.cutAt(), body.length) : body.length / 2;
            out.write(body, 0, cut);
            out.flush();
            // let the client take in the bytes sent before it learns that the rest will never come
            if (response.beforeCut() != null) {
                response.beforeCut().run();
            }
            else {
                Thread.sleep(CUT_PAUSE_MILLIS);
            }
            return;
        }
        if (response.status() != 304 && response.status() != 204) {
            out.write(body);
        }
        out.flush();
    }

    private static String line(InputStream in)
            throws IOException
    {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String text = bytes.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            bytes.write(c);
        }
        return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static String reason(int status)
    {
        return switch (status) {
            case 200 -> "OK";
            case 202 -> "Accepted";
            case 206 -> "Partial Content";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> "Status";
        };
    }

    @Override
    public void close()
            throws IOException
    {
        serverSocket.close();
        try {
            thread.join(5_000);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
