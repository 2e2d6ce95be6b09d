package dev.taskyard.engine.docker.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.command.InspectExecResponse;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.support.AbstractSandbox;
import dev.taskyard.engine.support.AbstractShell;

/**
 * A {@code docker exec} session in a running container. The command runs under {@code sh -c 'echo $$; exec "$@"'},
 * so the first line of its output is its process id inside the container (the engine consumes it; the caller never
 * sees it). The state rules come from {@link AbstractShell}. Because docker has no "kill exec" call, {@link #abort()}
 * kills that process's group with a second exec ({@code kill -9 -PID}, waiting for it a bounded time); the process
 * leads its own session, so its children die with it. The image therefore needs a POSIX {@code sh}. When the sandbox
 * is killed or resolves, the session is just closed: the container's processes die with it.
 *
 * <p>Without a TTY stdout and stderr are kept apart; with one they arrive merged on stdout and
 * {@link #resize(int, int)} works.
 *
 * <p>Thread-safe. One reader thread per shell copies the exec's output into two bounded pipes.
 */
final class DockerShell
        extends AbstractShell
{
    private static final int PIPE_CAPACITY = 64 * 1024;
    private static final Duration PID_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final DockerEngine engine;
    private final TaskContext context;
    private final ContainerHandle container;
    private final boolean tty;
    private final DockerSandbox.SessionRegistry sessions;
    private final AbstractSandbox.Session session = this::endWithoutKill;
    private final StreamPipe stdout = new StreamPipe(PIPE_CAPACITY);
    private final StreamPipe stderr = new StreamPipe(PIPE_CAPACITY);
    private final CountDownLatch pidKnown = new CountDownLatch(1);
    private final Object lock = new Object();

    // guarded by lock
    private String execId;
    private ExecConnection connection;
    private boolean closed;

    // set before an abort that needs no kill exec: the container ends (or the exec never started)
    private volatile boolean noKill;

    // reader thread only
    private final ByteArrayOutputStream pidLine = new ByteArrayOutputStream();
    private volatile int pid = -1;

    private DockerShell(DockerEngine engine, TaskContext context, ContainerHandle container, boolean tty,
            DockerSandbox.SessionRegistry sessions)
    {
        super(engine.context().tracker().acquire("docker-shell",
                "exec in " + container.name() + " (task " + context.taskId() + ")"));
        this.engine = engine;
        this.context = context;
        this.container = container;
        this.tty = tty;
        this.sessions = sessions;
    }

    /**
     * Starts {@code command} (or {@code sh} when empty) in the container.
     *
     * @throws SandboxTerminatedException the container is no longer running
     * @throws dev.taskyard.engine.SandboxAbortedException the sandbox was aborted
     * @throws NonFatalInternalErrorException the daemon failed
     */
    static DockerShell open(DockerEngine engine, TaskContext context, ContainerHandle container, List<String> command,
            boolean tty, DockerSandbox.SessionRegistry sessions)
            throws EngineException
    {
        DockerShell shell = new DockerShell(engine, context, container, tty, sessions);
        try {
            sessions.add(shell.session);
            shell.start(command.isEmpty() ? List.of("sh") : command);
        }
        catch (EngineException | RuntimeException e) {
            shell.endWithoutKill();
            throw e;
        }
        return shell;
    }

    private void start(List<String> command)
            throws EngineException
    {
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "echo $$; exec \"$@\"", "taskyard-shell"));
        argv.addAll(command);
        String id;
        try {
            id = engine.client().execCreateCmd(container.id())
                    .withCmd(argv.toArray(String[]::new))
                    .withAttachStdin(true)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .withTty(tty)
                    .exec()
                    .getId();
        }
        catch (RuntimeException e) {
            if (DockerErrors.isConflict(e) || DockerErrors.isNotFound(e)) {
                throw new SandboxTerminatedException("the task has terminated: " + DockerErrors.reason(e));
            }
            throw DockerErrors.internal(engine.config().socket(),
                    "create a shell in the container of task " + context.taskId(), e);
        }
        ExecConnection opened;
        try {
            opened = ExecConnection.start(engine.config().socket(), id, tty);
        }
        catch (ExecConnection.DaemonRefusal e) {
            if (e.status() == 409 || e.status() == 404) {
                throw new SandboxTerminatedException("the task has terminated: " + e.getMessage());
            }
            throw new NonFatalInternalErrorException(
                    "starting a shell in the container of task " + context.taskId() + " failed: " + e.getMessage(), e);
        }
        catch (IOException e) {
            throw new NonFatalInternalErrorException("the Docker daemon at " + engine.config().socket()
                    + " does not answer; could not start a shell: " + e, e);
        }
        synchronized (lock) {
            execId = id;
            connection = opened;
            if (closed) { // ended while starting: closeStreams ran before the connection was set
                closeQuietly(opened);
                return;
            }
        }
        Thread reader = new Thread(() -> pump(opened.input()), "taskyard-docker-shell-" + id.substring(0, 12));
        reader.setDaemon(true);
        reader.start();
        engine.logger().info("task {} run {}: opened shell {} in container {}", context.taskId(), context.runId(),
                id.substring(0, 12), container.shortId());
    }

    @Override
    public OutputStream stdin()
    {
        synchronized (lock) {
            if (connection == null) {
                return OutputStream.nullOutputStream();
            }
            return connection.output();
        }
    }

    @Override
    public InputStream stdout()
    {
        return stdout.reader();
    }

    @Override
    public InputStream stderr()
    {
        return stderr.reader();
    }

    @Override
    public void resize(int columns, int rows)
            throws EngineException
    {
        checkResizable(tty);
        String id;
        synchronized (lock) {
            id = execId;
        }
        try {
            engine.client().resizeExecCmd(id).withSize(rows, columns).exec();
        }
        catch (RuntimeException e) {
            throw DockerErrors.internal(engine.config().socket(), "resize a shell of task " + context.taskId(), e);
        }
    }

    /** Kills the exec's process group, unless the container ends anyway; called once, by an abort. */
    @Override
    protected void kill()
    {
        if (noKill) {
            return;
        }
        killProcessGroup();
        engine.logger().info("task {} run {}: aborted shell {}", context.taskId(), context.runId(), shortExecId());
    }

    /** Closes the exec's connection and the output pipes and leaves the sandbox's sessions. */
    @Override
    protected void closeStreams()
    {
        ExecConnection toClose;
        synchronized (lock) {
            closed = true;
            toClose = connection;
        }
        if (toClose != null) {
            closeQuietly(toClose);
        }
        pidKnown.countDown();
        stdout.closeWriter();
        stderr.closeWriter();
        sessions.remove(session);
    }

    /** Ends the session without a kill exec: its sandbox is killed or resolves (the container's end kills it). */
    private void endWithoutKill()
    {
        noKill = true;
        abortSession();
    }

    // reader thread: demultiplexes the exec's output until it ends
    private void pump(InputStream raw)
    {
        boolean clean = false;
        try {
            if (tty) {
                copyRaw(raw);
            }
            else {
                copyFrames(new DataInputStream(raw));
            }
            clean = true;
        }
        catch (IOException e) {
            // the connection was closed by an abort, or broke
        }
        pidKnown.countDown(); // an abort waiting for the pid need not wait longer
        exited(clean && exitCode() == 0);
    }

    private void copyFrames(DataInputStream in)
            throws IOException
    {
        byte[] header = new byte[8];
        byte[] payload = new byte[8192];
        while (true) {
            try {
                in.readFully(header);
            }
            catch (EOFException e) {
                return;
            }
            int length = ((header[4] & 0xff) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8)
                    | (header[7] & 0xff);
            while (length > 0) {
                int n = in.read(payload, 0, Math.min(payload.length, length));
                if (n < 0) {
                    return;
                }
                length -= n;
                if (header[0] == 2 || header[0] == 3) {
                    stderr.write(payload, 0, n);
                }
                else {
                    toStdout(payload, n);
                }
            }
        }
    }

    private void copyRaw(InputStream in)
            throws IOException
    {
        byte[] payload = new byte[8192];
        int n;
        while ((n = in.read(payload)) >= 0) {
            toStdout(payload, n);
        }
    }

    // the first line of stdout is the wrapper's pid; everything after it is the command's
    private void toStdout(byte[] bytes, int length)
            throws InterruptedIOException
    {
        int offset = 0;
        if (pidKnown.getCount() > 0) {
            while (offset < length && bytes[offset] != '\n') {
                pidLine.write(bytes[offset++]);
            }
            if (offset == length) {
                return;
            }
            offset++; // the newline
            String line = pidLine.toString(StandardCharsets.US_ASCII).trim();
            try {
                pid = Integer.parseInt(line);
            }
            catch (NumberFormatException e) {
                // not our wrapper's output (sh could not run): give it to the caller
                byte[] text = (line + "\n").getBytes(StandardCharsets.UTF_8);
                stdout.write(text, 0, text.length);
            }
            pidKnown.countDown();
        }
        stdout.write(bytes, offset, length - offset);
    }

    private long exitCode()
    {
        String id;
        synchronized (lock) {
            id = execId;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        try {
            while (true) {
                InspectExecResponse inspected = engine.client().inspectExecCmd(id).exec();
                if (!Boolean.TRUE.equals(inspected.isRunning()) || System.nanoTime() > deadline) {
                    Long code = inspected.getExitCodeLong();
                    return code == null ? -1 : code;
                }
                Thread.sleep(5);
            }
        }
        catch (RuntimeException e) {
            engine.logger().warn("task {} run {}: reading the exit code of shell {} failed: {}", context.taskId(),
                    context.runId(), shortExecId(), DockerErrors.reason(e));
            return -1;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void killProcessGroup()
    {
        try {
            if (!pidKnown.await(PID_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) || pid <= 0) {
                return;
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String script = "kill -9 -" + pid + " 2>/dev/null || kill -9 " + pid + " 2>/dev/null; true";
        try {
            String killer = engine.client().execCreateCmd(container.id())
                    .withCmd("sh", "-c", script)
                    .withAttachStdout(true)
                    .withAttachStderr(true)
                    .exec()
                    .getId();
            try (StreamCallback<com.github.dockerjava.api.model.Frame> callback = new StreamCallback<>()
            {
                @Override
                public void onNext(com.github.dockerjava.api.model.Frame frame) {}
            }) {
                engine.client().execStartCmd(killer).exec(callback);
                callback.awaitEnded(KILL_TIMEOUT);
            }
        }
        catch (RuntimeException e) {
            if (!DockerErrors.isConflict(e) && !DockerErrors.isNotFound(e)) {
                engine.logger().warn("task {} run {}: killing shell {} failed: {}", context.taskId(), context.runId(),
                        shortExecId(), DockerErrors.reason(e));
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String shortExecId()
    {
        synchronized (lock) {
            return execId == null ? "-" : execId.substring(0, Math.min(12, execId.length()));
        }
    }

    private static void closeQuietly(ExecConnection connection)
    {
        try {
            connection.close();
        }
        catch (IOException ignored) {
            // abandoning the connection
        }
    }
}
