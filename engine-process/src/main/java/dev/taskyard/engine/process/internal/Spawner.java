package dev.taskyard.engine.process.internal;

import java.io.BufferedInputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import com.sun.jna.LastErrorException;
import dev.taskyard.engine.FatalInternalErrorException;
import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * Starts the engine's processes, each the leader of a session of its own, in one of two ways decided once per engine
 * at its creation ({@code "spawn"} in the config):
 * <ul>
 * <li>{@code posix_spawn} ({@link PosixSpawn}) with {@code POSIX_SPAWN_SETSID}: one {@code clone(CLONE_VFORK)} and
 *     one exec of the program itself; the child gets its pipes (or {@code /dev/null} as stdin), its folder, its whole
 *     environment and no other descriptor of the JVM ({@code closefrom(3)});</li>
 * <li>{@link ProcessBuilder} with {@code setsid} in the argv: the JDK's {@code jspawnhelper} exec, then
 *     {@code setsid}'s exec, then the program's.</li>
 * </ul>
 * {@code auto} takes {@code posix_spawn} when JNA binds it in this JVM and otherwise falls back to
 * {@code ProcessBuilder} (logged once per JVM). A {@code posix_spawn} that fails for one start (the program vanished,
 * or is a script without {@code #!}, which {@code setsid}'s {@code execvp} runs with {@code /bin/sh}) is retried
 * through {@code ProcessBuilder}, so both ways behave the same.
 *
 * <p>Thread-safe and stateless after creation.
 */
final class Spawner
{
    /** The {@code "spawn"} config key. */
    enum Mode
    {
        AUTO, POSIX_SPAWN, PROCESS_BUILDER;

        static Mode parse(String text)
        {
            return switch (text) {
                case "posixSpawn" -> POSIX_SPAWN;
                case "processBuilder" -> PROCESS_BUILDER;
                default -> AUTO;
            };
        }
    }

    /** The argv of a program, with or without the {@code setsid} step (see {@link Launcher}). */
    @FunctionalInterface
    interface Argv
    {
        List<String> build(boolean setsid);
    }

    private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();
    private static final File DEV_NULL = new File("/dev/null");

    private final boolean posixSpawn;
    private final Logger logger;

    private Spawner(boolean posixSpawn, Logger logger)
    {
        this.posixSpawn = posixSpawn;
        this.logger = requireNonNull(logger, "logger is null");
    }

    /**
     * Decides how this engine starts processes.
     *
     * @throws FatalInternalErrorException {@code posixSpawn} was required and cannot be bound in this JVM
     */
    static Spawner create(Mode mode, Logger logger)
            throws FatalInternalErrorException
    {
        requireNonNull(mode, "mode is null");
        if (mode == Mode.PROCESS_BUILDER) {
            return new Spawner(false, logger);
        }
        Optional<Throwable> unavailable = PosixSpawn.unavailable();
        if (unavailable.isEmpty()) {
            return new Spawner(true, logger);
        }
        if (mode == Mode.POSIX_SPAWN) {
            throw new FatalInternalErrorException("spawn posixSpawn: glibc's posix_spawn cannot be bound through JNA "
                    + "in this JVM: " + unavailable.get(), unavailable.get());
        }
        if (FALLBACK_LOGGED.compareAndSet(false, true)) {
            logger.warn("process engine: posix_spawn is unavailable ({}); tasks start through ProcessBuilder and "
                    + "setsid, one more exec per process", unavailable.get().toString());
        }
        return new Spawner(false, logger);
    }

    /** Whether processes start through {@code posix_spawn} (else through {@code ProcessBuilder} and setsid). */
    boolean posixSpawn()
    {
        return posixSpawn;
    }

    @Override
    public String toString()
    {
        return posixSpawn ? "posix_spawn" : "ProcessBuilder and setsid";
    }

    /** Where a started process' standard streams go. */
    enum Stdio
    {
        /** stdin from {@code /dev/null}, stdout and stderr into one pipe ({@link Child#stdout()}). */
        MERGED,
        /** Three pipes, the caller's to use and close. */
        PIPES,
        /** stdin from {@code /dev/null}, stdout and stderr to {@code /dev/null}: no pipe at all. */
        NONE
    }

    /**
     * Starts a process as the leader of a new session.
     *
     * @param environment its whole environment (nothing is inherited)
     * @throws IOException it could not be started
     */
    Child start(Argv argv, Path directory, Map<String, String> environment, Stdio stdio)
            throws IOException
    {
        if (posixSpawn) {
            Optional<Child> child = spawn(argv.build(false), directory, environment, stdio);
            if (child.isPresent()) {
                return child.get();
            }
        }
        ProcessBuilder builder = new ProcessBuilder(argv.build(true)).directory(directory.toFile());
        Map<String, String> env = builder.environment();
        env.clear();
        env.putAll(environment);
        switch (stdio) {
            case MERGED -> builder.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
            case NONE -> builder.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            case PIPES -> { }
            default -> throw new IllegalArgumentException("unknown stdio " + stdio);
        }
        return Child.of(builder.start());
    }

    /** Starts through posix_spawn; empty when this start should go through ProcessBuilder instead. */
    private Optional<Child> spawn(List<String> argv, Path directory, Map<String, String> environment, Stdio stdio)
            throws IOException
    {
        Optional<String> program = resolve(argv.get(0), directory, environment.get("PATH"));
        if (program.isEmpty()) {
            return Optional.empty();
        }
        String[] envp = new String[environment.size()];
        int i = 0;
        for (Map.Entry<String, String> variable : environment.entrySet()) {
            envp[i++] = variable.getKey() + "=" + variable.getValue();
        }
        int[] out = {-1, -1};
        int[] in = {-1, -1};
        int[] err = {-1, -1};
        try {
            if (stdio != Stdio.NONE) {
                out = PosixSpawn.pipe();
            }
            if (stdio == Stdio.PIPES) {
                in = PosixSpawn.pipe();
                err = PosixSpawn.pipe();
            }
            for (int fd : new int[] {out[0], out[1], in[0], in[1], err[0], err[1]}) {
                if (fd >= 0 && fd < 3) {
                    return Optional.empty(); // the JVM runs without a standard stream: dup2 would clobber a pipe
                }
            }
            int pid;
            try (PosixSpawn.FileActions actions = new PosixSpawn.FileActions()) {
                switch (stdio) {
                    case MERGED -> actions.open(0, DEV_NULL.getPath(), PosixSpawn.O_RDONLY).dup2(out[1], 1)
                            .dup2(out[1], 2);
                    case PIPES -> actions.dup2(in[0], 0).dup2(out[1], 1).dup2(err[1], 2);
                    case NONE -> actions.open(0, DEV_NULL.getPath(), PosixSpawn.O_RDONLY)
                            .open(1, DEV_NULL.getPath(), PosixSpawn.O_WRONLY).dup2(1, 2);
                    default -> throw new IllegalArgumentException("unknown stdio " + stdio);
                }
                actions.closeFrom(3).chdir(directory.toString());
                pid = PosixSpawn.spawnSession(program.get(), actions, argv.toArray(String[]::new), envp);
            }
            if (pid < 0) {
                logger.debug("posix_spawn of {} failed with errno {}; starting it through ProcessBuilder", argv,
                        -pid);
                return Optional.empty();
            }
            return Optional.of(open(pid, in[1], out[0], err[0]));
        }
        catch (LastErrorException e) {
            throw new IOException("cannot create the pipes of " + argv.get(0) + ": errno " + e.getErrorCode(), e);
        }
        catch (IllegalStateException e) {
            logger.warn("posix_spawn of {} could not be prepared; starting it through ProcessBuilder", argv, e);
            return Optional.empty();
        }
        finally {
            for (int fd : new int[] {out[0], out[1], in[0], in[1], err[0], err[1]}) {
                PosixSpawn.close(fd);
            }
        }
    }

    /**
     * Opens Java streams on the parent's pipe ends, while the raw descriptors (closed by the caller) still hold the
     * pipes open, so that opening {@code /proc/self/fd/N} never blocks. On failure the child is killed and reaped.
     */
    private static Child open(int pid, int stdinFd, int stdoutFd, int stderrFd)
            throws IOException
    {
        InputStream stdout = null;
        InputStream stderr = null;
        try {
            stdout = stdoutFd < 0 ? InputStream.nullInputStream() : pipeIn(stdoutFd);
            stderr = stderrFd < 0 ? InputStream.nullInputStream() : pipeIn(stderrFd);
            OutputStream stdin = stdinFd < 0 ? OutputStream.nullOutputStream()
                    : new FileOutputStream(procFd(stdinFd));
            return new NativeChild(pid, stdin, stdout, stderr);
        }
        catch (IOException | RuntimeException e) {
            closeQuietly(stdout, e);
            closeQuietly(stderr, e);
            PosixSpawn.kill(pid, PosixSpawn.SIGKILL);
            PosixSpawn.reap(pid);
            throw e;
        }
    }

    /**
     * Buffered like the JDK's process streams, and so that {@code readNBytes}, {@code readAllBytes} and
     * {@code transferTo} never reach JDK 17's {@link FileInputStream} versions, which seek (and fail on a pipe).
     */
    private static InputStream pipeIn(int fd)
            throws IOException
    {
        return new BufferedInputStream(new FileInputStream(procFd(fd)));
    }

    private static File procFd(int fd)
    {
        return new File("/proc/self/fd/" + fd);
    }

    private static void closeQuietly(InputStream stream, Exception failure)
    {
        if (stream != null) {
            try {
                stream.close();
            }
            catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * The file {@code execvp} would run for {@code argv0} with the child's {@code PATH} and folder: a path when it
     * has a slash (relative to {@code directory}), else the first executable in {@code path}; empty if none (the
     * ProcessBuilder start then reports it the usual way).
     */
    static Optional<String> resolve(String argv0, Path directory, String path)
    {
        if (argv0.isEmpty()) {
            return Optional.empty();
        }
        if (argv0.indexOf('/') >= 0) {
            Path file = directory.resolve(argv0);
            return isExecutableFile(file) ? Optional.of(file.toString()) : Optional.empty();
        }
        if (path == null) {
            return Optional.empty();
        }
        for (String folder : path.split(":", -1)) {
            Path file = directory.resolve(folder).resolve(argv0);
            if (isExecutableFile(file)) {
                return Optional.of(file.toString());
            }
        }
        return Optional.empty();
    }

    private static boolean isExecutableFile(Path file)
    {
        return Files.isRegularFile(file) && Files.isExecutable(file);
    }
}
