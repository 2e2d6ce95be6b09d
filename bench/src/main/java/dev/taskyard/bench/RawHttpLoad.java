package dev.taskyard.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * A closed-loop HTTP/1.1 load generator on raw keep-alive sockets, light enough that the server, not the client, is
 * what it measures: {@code connections} non-blocking sockets served by one selector thread, each sending its next GET
 * when the previous answer was read in full (one request in flight per connection, no pipelining). Answers must carry
 * {@code Content-Length} (anything else counts as an error and closes that connection). A warm-up of
 * {@code seconds}, then {@code seconds} measured: the rate counts answers whose request was sent and answered inside
 * the measured window, latencies are from the first byte written to the last byte read.
 *
 * <p>Not thread-safe; {@link #run} blocks the calling thread for about twice {@code seconds}.
 */
final class RawHttpLoad
{
    /** What a run measured; {@code latencies} in nanoseconds, sorted. */
    record Result(double rate, long[] latencies, long errors, long notOk, int connected)
    {
    }

    private final InetSocketAddress address;
    private final List<byte[]> requests;

    /**
     * @param requests complete request heads ({@code GET … HTTP/1.1}, headers, blank line), used round robin
     */
    RawHttpLoad(InetSocketAddress address, List<byte[]> requests)
    {
        this.address = requireNonNull(address, "address is null");
        this.requests = List.copyOf(requests);
        if (this.requests.isEmpty()) {
            throw new IllegalArgumentException("no requests");
        }
    }

    /** A complete {@code POST} of a JSON body to {@code path} with a bearer token. */
    static byte[] postJson(String host, int port, String path, String token, String json)
    {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
        byte[] head8 = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(head8, head8.length + body.length);
        System.arraycopy(body, 0, request, head8.length, body.length);
        return request;
    }

    /** Receives each complete answer of {@link #runCount}, on the selector thread. */
    @FunctionalInterface
    interface AnswerSink
    {
        void answer(int status, String body);
    }

    /** What a counted run measured: latencies in nanoseconds (sorted), errors, and the wall time of the run. */
    record CountResult(long[] latencies, long errors, double seconds)
    {
    }

    /**
     * Sends {@code count} requests in all (the request list round robin) over {@code connections} keep-alive
     * connections, one in flight on each, and returns when every one was answered (or its connection failed). Each
     * answer's status and body go to {@code sink}.
     */
    CountResult runCount(int connections, int count, AnswerSink sink)
            throws IOException
    {
        long[] latencies = new long[count];
        int recorded = 0;
        long errors = 0;
        int sent = 0;
        int open = 0;
        long start = System.nanoTime();
        try (Selector selector = Selector.open()) {
            List<SocketChannel> channels = new ArrayList<>();
            try {
                for (int c = 0; c < Math.min(connections, count); c++) {
                    SocketChannel channel = SocketChannel.open();
                    channels.add(channel);
                    channel.configureBlocking(false);
                    channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    channel.connect(address);
                    channel.register(selector, SelectionKey.OP_CONNECT, new Connection(channel, c));
                    open++;
                }
                while (recorded + errors < count && open > 0) {
                    selector.select(100);
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Connection connection = (Connection) key.attachment();
                        try {
                            if (key.isConnectable()) {
                                connection.channel.finishConnect();
                                connection.next = sent++;
                                connection.send(key);
                            }
                            else if (key.isWritable()) {
                                connection.channel.write(connection.out);
                                if (!connection.out.hasRemaining()) {
                                    key.interestOps(SelectionKey.OP_READ);
                                }
                            }
                            else if (key.isReadable()) {
                                if (connection.channel.read(connection.in) < 0) {
                                    throw new IOException("the server closed the connection");
                                }
                                Answer answer = answer(connection.in);
                                if (answer == null) {
                                    continue;
                                }
                                latencies[recorded++] = System.nanoTime() - connection.sentAt;
                                sink.answer(answer.status(), answer.body());
                                if (sent < count) {
                                    connection.next = sent++;
                                    connection.send(key);
                                }
                                else {
                                    key.cancel();
                                    connection.channel.close();
                                    open--;
                                }
                            }
                        }
                        catch (IOException | RuntimeException e) {
                            errors++;
                            key.cancel();
                            connection.channel.close();
                            open--;
                        }
                    }
                }
            }
            finally {
                for (SocketChannel channel : channels) {
                    channel.close();
                }
            }
        }
        long[] sorted = Arrays.copyOf(latencies, recorded);
        Arrays.sort(sorted);
        return new CountResult(sorted, errors, (System.nanoTime() - start) / 1e9);
    }

    /** A GET request head for {@code path} with a bearer token (or none when {@code token} is null). */
    static byte[] get(String host, int port, String path, String token)
    {
        String head = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
        return head.getBytes(StandardCharsets.US_ASCII);
    }

    private final class Connection
    {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        ByteBuffer out;
        int next;
        long sentAt;

        Connection(SocketChannel channel, int first)
        {
            this.channel = channel;
            this.next = first;
        }

        void send(SelectionKey key)
                throws IOException
        {
            out = ByteBuffer.wrap(requests.get(next++ % requests.size()));
            sentAt = System.nanoTime();
            channel.write(out);
            key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
    }

    Result run(int connections, int seconds)
            throws IOException
    {
        long[] latencies = new long[4_000_000];
        int recorded = 0;
        long errors = 0;
        long notOk = 0;
        int connected = 0;
        try (Selector selector = Selector.open()) {
            List<SocketChannel> channels = new ArrayList<>();
            try {
                for (int c = 0; c < connections; c++) {
                    SocketChannel channel = SocketChannel.open();
                    channels.add(channel);
                    channel.configureBlocking(false);
                    channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    channel.connect(address);
                    channel.register(selector, SelectionKey.OP_CONNECT, new Connection(channel, c));
                }
                long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                long measureEnd = warmEnd + TimeUnit.SECONDS.toNanos(seconds);
                while (System.nanoTime() < measureEnd) {
                    selector.select(100);
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Connection connection = (Connection) key.attachment();
                        try {
                            if (key.isConnectable()) {
                                connection.channel.finishConnect();
                                connected++;
                                connection.send(key);
                            }
                            else if (key.isWritable()) {
                                connection.channel.write(connection.out);
                                if (!connection.out.hasRemaining()) {
                                    key.interestOps(SelectionKey.OP_READ);
                                }
                            }
                            else if (key.isReadable()) {
                                if (connection.channel.read(connection.in) < 0) {
                                    throw new IOException("the server closed the connection");
                                }
                                int status = complete(connection.in);
                                if (status == 0) {
                                    continue; // more to read
                                }
                                long now = System.nanoTime();
                                if (status != 200) {
                                    notOk++;
                                }
                                if (connection.sentAt >= warmEnd && now < measureEnd && recorded < latencies.length) {
                                    latencies[recorded++] = now - connection.sentAt;
                                }
                                connection.send(key);
                            }
                        }
                        catch (IOException | RuntimeException e) {
                            errors++;
                            key.cancel();
                            connection.channel.close();
                        }
                    }
                }
            }
            finally {
                for (SocketChannel channel : channels) {
                    channel.close();
                }
            }
        }
        long[] sorted = Arrays.copyOf(latencies, recorded);
        Arrays.sort(sorted);
        return new Result(recorded / (double) seconds, sorted, errors, notOk, connected);
    }

    private record Answer(int status, String body)
    {
    }

    /** Like {@link #complete}, with the answer's body; null if more bytes are needed. */
    private static Answer answer(ByteBuffer in)
            throws IOException
    {
        byte[] copy = Arrays.copyOf(in.array(), in.position());
        int status = complete(in);
        if (status == 0) {
            return null;
        }
        String head = new String(copy, StandardCharsets.ISO_8859_1);
        int bodyStart = head.indexOf("\r\n\r\n") + 4;
        int consumed = copy.length - in.position();
        return new Answer(status, new String(copy, bodyStart, consumed - bodyStart, StandardCharsets.UTF_8));
    }

    /**
     * If {@code in} (in write mode) holds one complete answer, consumes it and returns its status code; 0 if more
     * bytes are needed.
     *
     * @throws IOException the answer has no Content-Length, or is malformed
     */
    private static int complete(ByteBuffer in)
            throws IOException
    {
        byte[] bytes = in.array();
        int length = in.position();
        int headEnd = -1;
        for (int i = 3; i < length; i++) {
            if (bytes[i] == '\n' && bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r') {
                headEnd = i + 1;
                break;
            }
        }
        if (headEnd < 0) {
            if (!in.hasRemaining()) {
                throw new IOException("answer head too large");
            }
            return 0;
        }
        String head = new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1);
        if (!head.startsWith("HTTP/1.1 ") || head.length() < 12) {
            throw new IOException("not an HTTP/1.1 answer");
        }
        int status = Integer.parseInt(head.substring(9, 12));
        long contentLength = -1;
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                contentLength = Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        if (contentLength < 0) {
            if (status == 304 || status == 204) {
                contentLength = 0;
            }
            else {
                throw new IOException("an answer without Content-Length");
            }
        }
        long total = headEnd + contentLength;
        if (total > in.capacity()) {
            throw new IOException("answer too large");
        }
        if (length < total) {
            return 0;
        }
        in.flip();
        in.position((int) total);
        in.compact();
        return status;
    }
}
