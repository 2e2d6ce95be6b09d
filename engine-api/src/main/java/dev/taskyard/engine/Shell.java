package dev.taskyard.engine;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * An interactive shell inside a sandbox. Thread-safe. The caller must read both output streams (or close them);
 * they reach end-of-stream when the shell ends.
 */
public interface Shell
{
    /** The shell's standard input; closing it signals end of input. */
    OutputStream stdin();

    InputStream stdout();

    InputStream stderr();

    /**
     * Resizes the terminal.
     *
     * @throws FeatureNotSupportedException the shell has no TTY (the default)
     */
    default void resize(int columns, int rows)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this shell has no terminal to resize");
    }

    /**
     * Kills the shell; {@link #waitFor()} then throws {@link ShellAbortedException}.
     *
     * @throws ShellTerminatedException the shell had already ended
     */
    void abort()
            throws EngineException;

    /**
     * Waits for the shell to end.
     *
     * @return whether it ended successfully (exit code 0)
     * @throws ShellAbortedException the shell was aborted, or its sandbox killed or resolved
     */
    boolean waitFor()
            throws EngineException, InterruptedException;
}
