package dev.taskyard.engine.process.internal;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A process this JVM started through a {@link Spawner}: the leader of its own session.
 *
 * <p>Implementations are thread-safe: {@link #destroyForcibly()} may race {@link #waitFor()} and never signals a
 * pid that has been reaped (and may belong to another process by then).
 */
interface Child
{
    /** The pid, which is also the session id. */
    long pid();

    /** The write end of the child's stdin pipe (a null stream when stdin is {@code /dev/null}). */
    OutputStream stdin();

    /** The read end of the child's stdout pipe (stdout and stderr merged when so started). */
    InputStream stdout();

    /** The read end of the child's stderr pipe (a null stream when merged into stdout). */
    InputStream stderr();

    /**
     * Waits for the child to exit and reaps it; returns its exit value ({@code 128+n} when signal {@code n} ended
     * it). May be called again: returns the same value.
     *
     * @throws InterruptedException the calling thread was interrupted (only where the wait is interruptible)
     */
    int waitFor()
            throws InterruptedException;

    /** SIGKILLs the child unless it has been reaped; never closes the streams, does not wait. */
    void destroyForcibly();

    /** A {@link Process} started by {@link ProcessBuilder}; the JDK's reaper reaps it. */
    static Child of(Process process)
    {
        return new Child()
        {
            @Override
            public long pid()
            {
                return process.pid();
            }

            @Override
            public OutputStream stdin()
            {
                return process.getOutputStream();
            }

            @Override
            public InputStream stdout()
            {
                return process.getInputStream();
            }

            @Override
            public InputStream stderr()
            {
                return process.getErrorStream();
            }

            @Override
            public int waitFor()
                    throws InterruptedException
            {
                return process.waitFor();
            }

            @Override
            public void destroyForcibly()
            {
                // through the handle: Process.destroyForcibly() would also close the streams, cutting the pump (and
                // the readers of a shell) short instead of letting them drain to end-of-stream
                process.toHandle().destroyForcibly();
            }

            @Override
            public String toString()
            {
                return "process " + process.pid();
            }
        };
    }
}
