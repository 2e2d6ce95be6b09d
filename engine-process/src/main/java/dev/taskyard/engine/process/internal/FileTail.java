package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * Copies the output file a recoverable task's supervisor writes into the task log, from a byte offset on, following it
 * as it grows (polling every {@value #POLL_MILLIS} ms) until {@link #finish()} was called and the end of the file was
 * reached: the caller calls it once every process of the task is gone, so nothing more can be written.
 *
 * <p>Runs once, on one pool thread; {@link #finish()} and {@link #awaitEof(Duration)} may be called from any thread.
 */
final class FileTail
        implements Runnable
{
    private static final long POLL_MILLIS = 10;

    private final Path file;
    private final TaskLog log;
    private final long offset;
    private final CountDownLatch eof = new CountDownLatch(1);
    private volatile boolean finishing;

    FileTail(Path file, TaskLog log, long offset)
    {
        this.file = requireNonNull(file, "file is null");
        this.log = requireNonNull(log, "log is null");
        this.offset = offset;
    }

    @Override
    public void run()
    {
        byte[] buffer = new byte[8192];
        long position = offset;
        try {
            while (true) {
                boolean last = finishing;
                int read = 0;
                try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
                    in.seek(position);
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        log.write(buffer, 0, n);
                        position += n;
                        read += n;
                    }
                }
                catch (java.io.FileNotFoundException e) {
                    // not created yet, or deleted with the work of an abort
                }
                if (last && read == 0) {
                    return;
                }
                if (read == 0) {
                    Thread.sleep(POLL_MILLIS);
                }
            }
        }
        catch (IOException e) {
            // the file went away under us: nothing more to copy
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finally {
            eof.countDown();
        }
    }

    /** Says that nothing more will be written: the tail copies what is left and ends. */
    void finish()
    {
        finishing = true;
    }

    /** Waits until the tail has ended; returns whether it did within the timeout. */
    boolean awaitEof(Duration timeout)
    {
        try {
            return eof.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return eof.getCount() == 0;
        }
    }
}
