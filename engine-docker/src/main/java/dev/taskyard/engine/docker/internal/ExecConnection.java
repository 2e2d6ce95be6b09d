package dev.taskyard.engine.docker.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The hijacked connection of one {@code POST /exec/{id}/start}: after the daemon's {@code 101} answer the socket
 * carries the exec's stdin one way and its (multiplexed, unless a TTY) output the other.
 *
 * <p>Why not docker-java: its hijacking transport cannot half-close the socket, so the process in the container
 * never sees the end of its standard input, and a shell that reads its commands from stdin never ends. A
 * {@link SocketChannel} can {@link SocketChannel#shutdownOutput()}, on Unix sockets and TCP alike. Everything else
 * about execs still goes through docker-java.
 *
 * <p>The input stream and the output stream may be used from two threads at once; {@link #close()} from any thread
 * unblocks both.
 */
final class ExecConnection
        implements Closeable
{
    private static final int MAX_HEADER = 64 * 1024;

    private final SocketChannel channel;
    private final InputStream input;
    private final OutputStream output;

    private ExecConnection(SocketChannel channel, byte[] leftover)
    {
        this.channel = channel;
        this.input = new ChannelInput(channel, leftover);
        this.output = new ChannelOutput(channel);
    }

    /**
     * Starts an exec and takes over its connection.
     *
     * @param socket the daemon endpoint, {@code unix:///path} or {@code tcp://host:port}
     * @throws DaemonRefusal the daemon answered with an error (e.g. 409: the container is not running)
     * @throws IOException the daemon could not be reached or the answer was garbled
     */
    static ExecConnection start(String socket, String execId, boolean tty)
            throws IOException
    {
        requireNonNull(execId, "execId is null");
        SocketChannel channel = SocketChannel.open(address(socket));
        try {
            byte[] body = ("{\"Detach\":false,\"Tty\":" + tty + "}").getBytes(StandardCharsets.UTF_8);
            String head = "POST /exec/" + execId + "/start HTTP/1.1\r\n"
                    + "Host: docker\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n";
            writeFully(channel, head.getBytes(StandardCharsets.US_ASCII));
            writeFully(channel, body);
            return answer(channel);
        }
        catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** What the exec prints (raw frames, or raw bytes with a TTY); ends when the exec's output closes. */
    InputStream input()
    {
        return input;
    }

    /** The exec's stdin; closing it half-closes the connection, which the process sees as end of input. */
    OutputStream output()
    {
        return output;
    }

    @Override
    public void close()
            throws IOException
    {
        channel.close();
    }

    static SocketAddress address(String socket)
    {
        URI uri = URI.create(socket);
        String scheme = String.valueOf(uri.getScheme()).toLowerCase(Locale.ROOT);
        if (scheme.equals("unix")) {
            return UnixDomainSocketAddress.of(uri.getPath());
        }
        if (scheme.equals("tcp")) {
            return new InetSocketAddress(uri.getHost(), uri.getPort());
        }
        throw new IllegalArgumentException("unsupported Docker endpoint " + socket + ": use unix:// or tcp://");
    }

    private static ExecConnection answer(SocketChannel channel)
            throws IOException
    {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        byte[] received = new byte[0];
        int end;
        while ((end = headerEnd(received)) < 0) {
            if (received.length > MAX_HEADER) {
                throw new IOException("the Docker daemon's answer to exec start has no end of headers");
            }
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                throw new IOException("the Docker daemon closed the connection before answering exec start");
            }
            received = Arrays.copyOf(received, received.length + n);
            System.arraycopy(buffer.array(), 0, received, received.length - n, n);
        }
        String headers = new String(received, 0, end, StandardCharsets.ISO_8859_1);
        byte[] rest = Arrays.copyOfRange(received, end + 4, received.length);
        String[] statusLine = headers.split("\r\n", 2)[0].split(" ", 3);
        int status = statusLine.length >= 2 ? parseStatus(statusLine[1]) : -1;
        if (status == 101 || status == 200) {
            return new ExecConnection(channel, rest);
        }
        throw new DaemonRefusal(status, errorBody(channel, headers, rest));
    }

    private static String errorBody(SocketChannel channel, String headers, byte[] rest)
            throws IOException
    {
        int length = -1;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring("content-length:".length()).trim());
            }
        }
        byte[] body = rest;
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        while (length >= 0 && body.length < Math.min(length, MAX_HEADER)) {
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                break;
            }
            body = Arrays.copyOf(body, body.length + n);
            System.arraycopy(buffer.array(), 0, body, body.length - n, n);
        }
        return new String(body, StandardCharsets.UTF_8).trim();
    }

    private static int parseStatus(String text)
    {
        try {
            return Integer.parseInt(text);
        }
        catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int headerEnd(byte[] bytes)
    {
        for (int i = 0; i + 3 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static void writeFully(SocketChannel channel, byte[] bytes)
            throws IOException
    {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** The daemon refused to start the exec. */
    static final class DaemonRefusal
            extends IOException
    {
        private final int status;

        DaemonRefusal(int status, String body)
        {
            super("the Docker daemon answered " + status + " to exec start: " + body);
            this.status = status;
        }

        int status()
        {
            return status;
        }
    }

    private static final class ChannelInput
            extends InputStream
    {
        private final SocketChannel channel;
        private byte[] leftover;
        private int position;

        ChannelInput(SocketChannel channel, byte[] leftover)
        {
            this.channel = channel;
            this.leftover = leftover;
        }

        @Override
        public int read()
                throws IOException
        {
            byte[] one = new byte[1];
            int n;
            do {
                n = read(one, 0, 1);
            }
            while (n == 0);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length)
                throws IOException
        {
            if (length == 0) {
                return 0;
            }
            if (leftover != null) {
                int n = Math.min(length, leftover.length - position);
                System.arraycopy(leftover, position, target, offset, n);
                position += n;
                if (position == leftover.length) {
                    leftover = null;
                }
                if (n > 0) {
                    return n;
                }
            }
            return channel.read(ByteBuffer.wrap(target, offset, length));
        }
    }

    private static final class ChannelOutput
            extends OutputStream
    {
        private final SocketChannel channel;
        private boolean closed;

        ChannelOutput(SocketChannel channel)
        {
            this.channel = channel;
        }

        @Override
        public void write(int b)
                throws IOException
        {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length)
                throws IOException
        {
            if (closed) {
                throw new IOException("the shell's stdin is closed");
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        @Override
        public synchronized void close()
                throws IOException
        {
            if (closed) {
                return;
            }
            closed = true;
            if (channel.isOpen()) {
                channel.shutdownOutput();
            }
        }
    }
}
