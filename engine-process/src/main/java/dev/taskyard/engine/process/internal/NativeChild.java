package dev.taskyard.engine.process.internal;

import java.io.InputStream;
import java.io.OutputStream;

import static java.util.Objects.requireNonNull;

/**
 * A child spawned by {@link PosixSpawn}. The JDK's reaper only waits for the processes the JDK started, so this
 * class reaps its own: {@link #waitFor()} first waits without reaping ({@code waitid(WNOWAIT)}: the pid stays
 * reserved as a zombie), then reaps under the lock that {@link #destroyForcibly()} takes, so a kill never reaches a
 * reaped (possibly reused) pid.
 *
 * <p>Thread-safe. The streams are the caller's to read and close.
 */
final class NativeChild
        implements Child
{
    private final int pid;
    private final OutputStream stdin;
    private final InputStream stdout;
    private final InputStream stderr;
    private final Object lock = new Object();
    private boolean reaped; // guarded by lock
    private int exitValue; // guarded by lock

    NativeChild(int pid, OutputStream stdin, InputStream stdout, InputStream stderr)
    {
        this.pid = pid;
        this.stdin = requireNonNull(stdin, "stdin is null");
        this.stdout = requireNonNull(stdout, "stdout is null");
        this.stderr = requireNonNull(stderr, "stderr is null");
    }

    @Override
    public long pid()
    {
        return pid;
    }

    @Override
    public OutputStream stdin()
    {
        return stdin;
    }

    @Override
    public InputStream stdout()
    {
        return stdout;
    }

    @Override
    public InputStream stderr()
    {
        return stderr;
    }

    /** Blocks in native code (not interruptible) until the child exits. */
    @Override
    public int waitFor()
    {
        synchronized (lock) {
            if (reaped) {
                return exitValue;
            }
        }
        PosixSpawn.awaitExit(pid);
        synchronized (lock) {
            if (!reaped) {
                exitValue = PosixSpawn.reap(pid);
                reaped = true;
            }
            return exitValue;
        }
    }

    @Override
    public void destroyForcibly()
    {
        synchronized (lock) {
            if (!reaped) {
                PosixSpawn.kill(pid, PosixSpawn.SIGKILL);
            }
        }
    }

    @Override
    public String toString()
    {
        return "process " + pid;
    }
}
