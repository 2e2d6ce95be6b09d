package dev.taskyard.engine.docker.internal;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.async.ResultCallback;

/**
 * The receiving end of one streaming docker-java call (attach, wait, pull). docker-java drives it from its own
 * thread: {@link #onStart} once the daemon's answer arrived, {@link #onNext} per item, then exactly one of
 * {@link #onComplete} or {@link #onError}. Unlike docker-java's adapter it logs nothing: the owner decides what an
 * error means, and errors caused by {@link #close()} are not reported at all.
 *
 * <p>Thread-safe.
 */
abstract class StreamCallback<T>
        implements ResultCallback<T>
{
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch ended = new CountDownLatch(1);
    private final Object lock = new Object();
    private Closeable stream;
    private Throwable error;
    private boolean closed;

    @Override
    public final void onStart(Closeable closeable)
    {
        boolean close;
        synchronized (lock) {
            stream = closeable;
            close = closed;
        }
        if (close) {
            closeQuietly(closeable);
        }
        started.countDown();
    }

    @Override
    public final void onError(Throwable throwable)
    {
        synchronized (lock) {
            if (!closed) {
                error = throwable;
            }
        }
        end();
    }

    @Override
    public final void onComplete()
    {
        end();
    }

    /** Called once when the stream ended, normally, with an error or after {@link #close()}; must not throw. */
    protected void onEnd() {}

    /** Waits until the daemon answered (or the call failed); returns whether that happened in time. */
    final boolean awaitStarted(Duration timeout)
            throws InterruptedException
    {
        return started.await(timeout.toNanos(), TimeUnit.NANOSECONDS) || ended.getCount() == 0;
    }

    /** Waits until the stream ended; returns whether it did in time. */
    final boolean awaitEnded(Duration timeout)
            throws InterruptedException
    {
        return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    final boolean hasEnded()
    {
        return ended.getCount() == 0;
    }

    /** The error that ended the stream, unless it ended normally or was closed by its owner. */
    final Optional<Throwable> error()
    {
        synchronized (lock) {
            return Optional.ofNullable(error);
        }
    }

    final boolean isClosed()
    {
        synchronized (lock) {
            return closed;
        }
    }

    /** Stops the stream; later errors are not reported. Idempotent. */
    @Override
    public final void close()
    {
        Closeable toClose;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = stream;
        }
        if (toClose != null) {
            closeQuietly(toClose);
        }
    }

    private void end()
    {
        started.countDown();
        if (ended.getCount() == 0) {
            return;
        }
        ended.countDown();
        onEnd();
    }

    private static void closeQuietly(Closeable closeable)
    {
        try {
            closeable.close();
        }
        catch (IOException | RuntimeException ignored) {
            // the stream is being abandoned; nothing useful can be done about a failing close
        }
    }
}
