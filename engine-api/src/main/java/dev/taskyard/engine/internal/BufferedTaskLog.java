package dev.taskyard.engine.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * The implementation of {@link TaskLog} behind {@link TaskLog#create}: bytes in memory up to {@code memoryLimit}, then
 * in a spill file; one monitor guards the state, readers wait on it. Not API.
 */
public final class BufferedTaskLog
        implements TaskLog
{
    private final Path spillFolder;
    private final int memoryLimit;
    private final long cap;

    // guarded by this; java.io rather than a FileChannel, which an interrupt of any reader or writer
    // would close for all
    private byte[] memory = new byte[256];
    private RandomAccessFile file;
    private Path filePath;
    private long size;
    private long dropped;
    private long droppedAfterClose;
    private boolean closed;
    private boolean disposed;

    /**
     * @param spillFolder where the spill file goes once the log outgrows {@code memoryLimit}
     * @param memoryLimit at most this many bytes are held in memory
     * @param cap bytes beyond this many are dropped; {@link Long#MAX_VALUE} for no cap
     */
    public BufferedTaskLog(Path spillFolder, int memoryLimit, long cap)
    {
        this.spillFolder = requireNonNull(spillFolder, "spillFolder is null");
        if (memoryLimit < 1 || cap < 0) {
            throw new IllegalArgumentException("memoryLimit must be positive and cap non-negative");
        }
        this.memoryLimit = memoryLimit;
        this.cap = cap;
    }

    @Override
    public void write(byte[] bytes, int offset, int length)
    {
        requireNonNull(bytes, "bytes is null");
        Objects.checkFromIndexSize(offset, length, bytes.length);
        synchronized (this) {
            if (closed) {
                droppedAfterClose += length;
                return;
            }
            long room = cap - size;
            int kept = (int) Math.min(length, Math.max(0, room));
            dropped += length - kept;
            append(bytes, offset, kept);
            notifyAll();
        }
    }

    @Override
    public InputStream newReader(long offset)
    {
        if (offset < 0) {
            throw new IllegalArgumentException("offset is negative");
        }
        return new Reader(offset);
    }

    @Override
    public synchronized long size()
    {
        return size;
    }

    @Override
    public synchronized long droppedBytes()
    {
        return dropped;
    }

    @Override
    public synchronized long droppedAfterClose()
    {
        return droppedAfterClose;
    }

    @Override
    public synchronized boolean isClosed()
    {
        return closed;
    }

    @Override
    public synchronized boolean isSpilled()
    {
        return file != null;
    }

    @Override
    public String contentAsString()
    {
        long end;
        synchronized (this) {
            if (disposed) {
                throw new IllegalStateException("task log is disposed");
            }
            end = size;
        }
        byte[] out = new byte[Math.toIntExact(end)];
        int done = 0;
        while (done < out.length) {
            int n;
            try {
                n = readAt(done, out, done, out.length - done);
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (n <= 0) {
                break;
            }
            done += n;
        }
        return new String(out, 0, done, StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close()
    {
        if (closed) {
            return;
        }
        if (dropped > 0) {
            byte[] notice = ("\n[taskyard] log truncated: " + dropped
                    + " bytes dropped beyond the cap of " + cap + " bytes\n")
                    .getBytes(StandardCharsets.UTF_8);
            append(notice, 0, notice.length);
        }
        closed = true;
        notifyAll();
    }

    @Override
    public void dispose()
    {
        RandomAccessFile toClose;
        Path toDelete;
        synchronized (this) {
            close();
            disposed = true;
            memory = new byte[0];
            toClose = file;
            toDelete = filePath;
            file = null;
            notifyAll();
        }
        try {
            if (toClose != null) {
                toClose.close();
                Files.deleteIfExists(toDelete);
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot delete task log spill file " + toDelete, e);
        }
    }

    // called with the monitor held
    private void append(byte[] bytes, int offset, int length)
    {
        if (length == 0) {
            return;
        }
        if (file == null && size + length > memoryLimit) {
            spill();
        }
        if (file != null) {
            try {
                file.seek(size);
                file.write(bytes, offset, length);
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot write task log spill file " + filePath, e);
            }
        }
        else {
            if (size + length > memory.length) {
                memory = Arrays.copyOf(memory,
                        (int) Math.min(memoryLimit, Math.max(memory.length * 2L, size + length)));
            }
            System.arraycopy(bytes, offset, memory, (int) size, length);
        }
        size += length;
    }

    private void spill()
    {
        try {
            Files.createDirectories(spillFolder);
            filePath = Files.createTempFile(spillFolder, "task-log-", ".log");
            file = new RandomAccessFile(filePath.toFile(), "rw");
            file.write(memory, 0, (int) size);
            memory = null;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot spill task log to " + spillFolder, e);
        }
    }

    /** Reads up to {@code length} bytes at {@code position} without blocking; -1 at the current end. */
    private synchronized int readAt(long position, byte[] target, int offset, int length)
            throws IOException
    {
        if (disposed) {
            throw new IOException("task log is disposed");
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(length, size - position);
        if (file == null) {
            System.arraycopy(memory, (int) position, target, offset, n);
            return n;
        }
        try {
            file.seek(position);
            return file.read(target, offset, n);
        }
        catch (IOException e) {
            throw new IOException("cannot read task log spill file " + filePath, e);
        }
    }

    private synchronized boolean awaitMore(long position)
            throws InterruptedException
    {
        while (position >= size && !closed && !disposed) {
            wait();
        }
        return position < size;
    }

    private final class Reader
            extends InputStream
    {
        private long position;
        private volatile boolean readerClosed;

        Reader(long position)
        {
            this.position = position;
        }

        @Override
        public int read()
                throws IOException
        {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len)
                throws IOException
        {
            if (len == 0) {
                return 0;
            }
            while (true) {
                if (readerClosed) {
                    throw new IOException("reader is closed");
                }
                int n = readAt(position, b, off, len);
                if (n > 0) {
                    position += n;
                    return n;
                }
                try {
                    if (!awaitMore(position)) {
                        return -1;
                    }
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while following the task log");
                }
            }
        }

        @Override
        public int available()
        {
            synchronized (BufferedTaskLog.this) {
                return (int) Math.min(Integer.MAX_VALUE, Math.max(0, size - position));
            }
        }

        @Override
        public void close()
        {
            readerClosed = true;
        }
    }
}
