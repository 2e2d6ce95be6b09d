package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * Copies a task's output (stdout and stderr merged) into its task log until end-of-stream, which comes only when
 * every process holding the pipe is gone. Bytes are written as they arrive, so the log can be followed live and a
 * last line without a trailing newline is never lost. If the log is closed meanwhile (the worker gave up on the
 * task), the rest is read and dropped so that writers never block.
 *
 * <p>Runs once, on one pool thread; {@link #awaitEof(Duration)} may be called from any thread.
 */
final class LogPump
        implements Runnable
{
    private final InputStream output;
    private final TaskLog log;
    private final CountDownLatch eof = new CountDownLatch(1);

    LogPump(InputStream output, TaskLog log)
    {
        this.output = requireNonNull(output, "output is null");
        this.log = requireNonNull(log, "log is null");
    }

    @Override
    public void run()
    {
        byte[] buffer = new byte[8192];
        try (output) {
            int n;
            while ((n = output.read(buffer)) >= 0) {
                if (n > 0) {
                    log.write(buffer, 0, n); // dropped once the worker closed the log; the pipe is still drained
                }
            }
        }
        catch (IOException ignored) {
            // the stream was closed under us: nothing more to copy
        }
        finally {
            eof.countDown();
        }
    }

    /** Waits until the output reached end-of-stream; returns whether it did within the timeout. */
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
