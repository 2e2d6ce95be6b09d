package dev.taskyard.engine.mock;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Future;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.support.AbstractShell;

/**
 * A scripted shell: reads lines from stdin until it ends. {@code print-hello} prints "Hello" to stdout,
 * {@code print-error} prints "Error" to stderr, {@code exit-false} makes the shell end unsuccessfully,
 * {@code sleep} sleeps 60 s; anything else is an error. Thread-safe.
 */
final class MockShell
        extends AbstractShell
{
    private final MockEngine engine;
    private final boolean tty;
    private final Pipe stdin;
    private final Pipe stdout;
    private final Pipe stderr;
    private final OutputStream stdinWriter;
    private final InputStream stdoutReader;
    private final InputStream stderrReader;
    private final Object lock = new Object();
    // guarded by lock
    private boolean killed;
    private Future<?> worker;

    MockShell(MockEngine engine, boolean tty, ResourceTracker.Resource resource)
    {
        super(resource);
        this.engine = engine;
        this.tty = tty;
        this.stdin = new Pipe(engine.spillFolder());
        this.stdout = new Pipe(engine.spillFolder());
        this.stderr = new Pipe(engine.spillFolder());
        this.stdinWriter = stdin.writer();
        this.stdoutReader = stdout.reader();
        this.stderrReader = stderr.reader();
    }

    void start()
    {
        Future<?> future = engine.workers().submit(this::interpret);
        synchronized (lock) {
            worker = future;
            if (killed) {
                future.cancel(true);
            }
        }
    }

    @Override
    public OutputStream stdin()
    {
        return stdinWriter;
    }

    @Override
    public InputStream stdout()
    {
        return stdoutReader;
    }

    @Override
    public InputStream stderr()
    {
        return stderrReader;
    }

    @Override
    public void resize(int columns, int rows)
            throws EngineException
    {
        checkResizable(tty);
    }

    @Override
    protected void kill()
    {
        Future<?> current;
        synchronized (lock) {
            killed = true;
            current = worker;
        }
        if (current != null) {
            current.cancel(true);
        }
    }

    @Override
    protected void closeStreams()
    {
        stdin.close();
        stdout.close();
        stderr.close();
    }

    private void interpret()
    {
        boolean ok = true;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stdin.reader(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                switch (line.trim()) {
                    case "" -> { }
                    case "print-hello" -> stdout.writer().write("Hello\n".getBytes(StandardCharsets.UTF_8));
                    case "print-error" -> stderr.writer().write("Error\n".getBytes(StandardCharsets.UTF_8));
                    case "exit-false" -> ok = false;
                    case "sleep" -> Thread.sleep(60_000);
                    default -> {
                        stderr.writer().write(("unknown command: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                        ok = false;
                    }
                }
            }
        }
        catch (IOException | InterruptedException e) {
            return; // aborted
        }
        exited(ok);
    }
}
