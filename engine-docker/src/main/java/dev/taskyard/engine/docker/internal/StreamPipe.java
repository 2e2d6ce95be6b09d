package dev.taskyard.engine.docker.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A bounded in-memory pipe from the engine (which {@link #write}s what a shell prints) to the caller (who reads
 * {@link #reader()}). A writer blocks while the buffer is full, so a caller that stops reading slows the shell down
 * instead of growing memory; once the caller closes the reader, output is discarded. {@link #closeWriter()} makes
 * the reader reach end-of-stream after the buffered bytes.
 *
 * <p>Thread-safe: one writer thread and any reader threads.
 */
final class StreamPipe
{
    private final byte[] buffer;
    private int head;
    private int count;
    private boolean writerClosed;
    private boolean readerClosed;
    private final InputStream reader = new Reader();

    StreamPipe(int capacity)
    {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.buffer = new byte[capacity];
    }

    InputStream reader()
    {
        return reader;
    }

    /** Appends bytes, blocking while the buffer is full; drops them once either end is closed. */
    void write(byte[] bytes, int offset, int length)
            throws InterruptedIOException
    {
        int done = 0;
        synchronized (this) {
            while (done < length) {
                while (count == buffer.length && !readerClosed && !writerClosed) {
                    try {
                        wait();
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while writing shell output");
                    }
                }
                if (readerClosed || writerClosed) {
                    return;
                }
                int tail = (head + count) % buffer.length;
                int chunk = Math.min(length - done, Math.min(buffer.length - count, buffer.length - tail));
                System.arraycopy(bytes, offset + done, buffer, tail, chunk);
                count += chunk;
                done += chunk;
                notifyAll();
            }
        }
    }

    /** Ends the stream: the reader sees end-of-stream after the buffered bytes. Idempotent. */
    synchronized void closeWriter()
    {
        writerClosed = true;
        notifyAll();
    }

    private final class Reader
            extends InputStream
    {
        @Override
        public int read()
                throws IOException
        {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length)
                throws IOException
        {
            if (length == 0) {
                return 0;
            }
            synchronized (StreamPipe.this) {
                while (count == 0 && !writerClosed && !readerClosed) {
                    try {
                        StreamPipe.this.wait();
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading shell output");
                    }
                }
                if (readerClosed) {
                    throw new IOException("the stream is closed");
                }
                if (count == 0) {
                    return -1;
                }
                int chunk = Math.min(length, Math.min(count, buffer.length - head));
                System.arraycopy(buffer, head, target, offset, chunk);
                head = (head + chunk) % buffer.length;
                count -= chunk;
                StreamPipe.this.notifyAll();
                return chunk;
            }
        }

        @Override
        public int available()
        {
            synchronized (StreamPipe.this) {
                return count;
            }
        }

        @Override
        public void close()
        {
            synchronized (StreamPipe.this) {
                readerClosed = true;
                count = 0;
                StreamPipe.this.notifyAll();
            }
        }
    }
}
