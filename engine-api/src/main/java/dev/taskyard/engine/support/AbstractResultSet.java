package dev.taskyard.engine.support;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Termination;

import static java.util.Objects.requireNonNull;

/**
 * A result set with the disposal rules of {@link ResultSet} built in: {@link #dispose()} is idempotent and calls
 * {@link #release()} once; other calls after it throw {@link IllegalStateException}. Success means the task
 * {@linkplain Termination#exitedCleanly() exited cleanly}. Thread-safe.
 */
public abstract class AbstractResultSet
        implements ResultSet
{
    private final Termination termination;
    private final AtomicBoolean disposed = new AtomicBoolean();

    protected AbstractResultSet(Termination termination)
    {
        this.termination = requireNonNull(termination, "termination is null");
    }

    /** Releases what the result set owns. Called once. */
    protected abstract void release()
            throws EngineException;

    @Override
    public boolean success()
    {
        checkNotDisposed();
        return termination.exitedCleanly();
    }

    @Override
    public Termination termination()
    {
        checkNotDisposed();
        return termination;
    }

    /** Unsupported unless overridden; after disposal, {@link IllegalStateException} like every other call. */
    @Override
    public InputStream extractFile(String path)
            throws EngineException
    {
        checkNotDisposed();
        return ResultSet.super.extractFile(path);
    }

    /** Unsupported unless overridden; after disposal, {@link IllegalStateException} like every other call. */
    @Override
    public void extractFolder(String path, FileHandler handler)
            throws EngineException
    {
        checkNotDisposed();
        ResultSet.super.extractFolder(path, handler);
    }

    @Override
    public final void dispose()
            throws EngineException
    {
        if (disposed.compareAndSet(false, true)) {
            release();
        }
    }

    protected final boolean isDisposed()
    {
        return disposed.get();
    }

    protected final void checkNotDisposed()
    {
        if (disposed.get()) {
            throw new IllegalStateException("the result set was disposed");
        }
    }

    /** Opens one file of a folder extraction. */
    @FunctionalInterface
    protected interface Opener
    {
        InputStream open(String relativePath)
                throws Exception;
    }

    /**
     * Feeds {@code files} to {@code handler} one after another, closing each stream; the first failure (of the
     * opener or the handler) stops it with {@link HandlerInterruptedException}.
     */
    protected static void feed(List<String> files, Opener opener, FileHandler handler)
            throws EngineException
    {
        for (String file : files) {
            try (InputStream in = opener.open(file)) {
                handler.handle(file, in);
            }
            catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new HandlerInterruptedException("extracting " + file + " failed: " + e.getMessage(), e);
            }
        }
    }
}
