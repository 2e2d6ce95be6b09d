package dev.taskyard.engine.process.internal;

import java.util.Optional;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

/**
 * glibc's {@code posix_spawn} and the calls around it (pipes, reaping, signalling), bound through JNA's direct
 * mapping (JNI natives registered on {@link Libc}; no proxies, no reflection into this module). Needs Linux on
 * x86-64 or aarch64 with glibc ≥ 2.34 ({@code posix_spawn_file_actions_addclosefrom_np},
 * {@code posix_spawn_file_actions_addchdir_np}, {@code POSIX_SPAWN_SETSID}); {@link #unavailable()} says why not
 * otherwise. Binding happens once per JVM, on first use.
 *
 * <p>Thread-safe and stateless; every buffer is the caller's or per call.
 */
final class PosixSpawn
{
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CLOEXEC = 0x80000;
    static final int SIGKILL = 9;

    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int P_PID = 1;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x01000000;
    private static final int EINTR = 4;
    private static final int ESRCH = 3;
    private static final int ECHILD = 10;
    /** Bigger than glibc's posix_spawn_file_actions_t (80 bytes) and posix_spawnattr_t (336 bytes) on 64 bits. */
    private static final int OPAQUE_SIZE = 1024;
    /** sigset_t is 1024 bits in glibc. */
    private static final int SIGSET_SIZE = 128;
    /** siginfo_t is 128 bytes on Linux. */
    private static final int SIGINFO_SIZE = 128;

    private PosixSpawn() {}

    /** Why the native calls cannot be used in this JVM, or empty when they can. */
    static Optional<Throwable> unavailable()
    {
        return Optional.ofNullable(Libc.UNAVAILABLE);
    }

    /** {@code pipe2(O_CLOEXEC)}: {@code [read end, write end]}. */
    static int[] pipe()
    {
        int[] fds = new int[2];
        Libc.pipe2(fds, O_CLOEXEC);
        return fds;
    }

    /** Closes a raw file descriptor; errors are ignored (the descriptor is gone either way on Linux). */
    static void close(int fd)
    {
        if (fd >= 0) {
            try {
                Libc.close(fd);
            }
            catch (LastErrorException ignored) {
                // EINTR or EBADF: on Linux the descriptor is released in both cases
            }
        }
    }

    /**
     * The file actions of one spawn: redirections in order, then every other descriptor closed, then the chdir.
     * Not thread-safe: made, used and closed by one thread for one spawn.
     */
    static final class FileActions
            implements AutoCloseable
    {
        private final Memory actions = new Memory(OPAQUE_SIZE);

        FileActions()
        {
            actions.clear();
            check(Libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
        }

        FileActions dup2(int fd, int target)
        {
            check(Libc.posix_spawn_file_actions_adddup2(actions, fd, target), "posix_spawn_file_actions_adddup2");
            return this;
        }

        /** Opens {@code path} as {@code target} with {@code flags} ({@link #O_RDONLY} or {@link #O_WRONLY}). */
        FileActions open(int target, String path, int flags)
        {
            check(Libc.posix_spawn_file_actions_addopen(actions, target, path, flags, 0),
                    "posix_spawn_file_actions_addopen");
            return this;
        }

        FileActions closeFrom(int lowest)
        {
            check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, lowest),
                    "posix_spawn_file_actions_addclosefrom_np");
            return this;
        }

        FileActions chdir(String directory)
        {
            check(Libc.posix_spawn_file_actions_addchdir_np(actions, directory),
                    "posix_spawn_file_actions_addchdir_np");
            return this;
        }

        @Override
        public void close()
        {
            Libc.posix_spawn_file_actions_destroy(actions);
            actions.close();
        }
    }

    /**
     * Spawns {@code path} as a session leader ({@code POSIX_SPAWN_SETSID}) with an empty signal mask and every signal
     * at its default disposition.
     *
     * @param argv the program's argv (argv[0] included), no NUL characters
     * @param envp its whole environment, {@code NAME=value} each
     * @return the child's pid, or the negated error number when the spawn (including the exec) failed
     */
    static int spawnSession(String path, FileActions actions, String[] argv, String[] envp)
    {
        try (Memory attributes = new Memory(OPAQUE_SIZE);
                Memory signals = new Memory(SIGSET_SIZE)) {
            attributes.clear();
            check(Libc.posix_spawnattr_init(attributes), "posix_spawnattr_init");
            try {
                check(Libc.posix_spawnattr_setflags(attributes,
                        (short) (POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
                        "posix_spawnattr_setflags");
                Libc.sigemptyset(signals);
                check(Libc.posix_spawnattr_setsigmask(attributes, signals), "posix_spawnattr_setsigmask");
                Libc.sigfillset(signals);
                check(Libc.posix_spawnattr_setsigdefault(attributes, signals), "posix_spawnattr_setsigdefault");
                int[] pid = new int[1];
                Pointer nativeArgv = new StringArray(argv);
                Pointer nativeEnvp = new StringArray(envp);
                int error = Libc.posix_spawn(pid, path, actions.actions, attributes, nativeArgv, nativeEnvp);
                return error == 0 ? pid[0] : -error;
            }
            finally {
                Libc.posix_spawnattr_destroy(attributes);
            }
        }
    }

    /**
     * Blocks until {@code pid} (a child of this JVM) has exited, without reaping it: its pid stays reserved. Returns
     * at once if another thread reaped it meanwhile.
     */
    static void awaitExit(int pid)
    {
        try (Memory info = new Memory(SIGINFO_SIZE)) {
            while (true) {
                try {
                    Libc.waitid(P_PID, pid, info, WEXITED | WNOWAIT);
                    return;
                }
                catch (LastErrorException e) {
                    if (e.getErrorCode() == ECHILD) {
                        return;
                    }
                    if (e.getErrorCode() != EINTR) {
                        throw new IllegalStateException("waitid(" + pid + ") failed: errno " + e.getErrorCode(), e);
                    }
                }
            }
        }
    }

    /**
     * Reaps an exited child; returns its exit value the way {@link Process#exitValue()} does ({@code 128+n} when
     * signal {@code n} ended it).
     */
    static int reap(int pid)
    {
        int[] status = new int[1];
        while (true) {
            try {
                Libc.waitpid(pid, status, 0);
                break;
            }
            catch (LastErrorException e) {
                if (e.getErrorCode() != EINTR) {
                    throw new IllegalStateException("waitpid(" + pid + ") failed: errno " + e.getErrorCode(), e);
                }
            }
        }
        int termSignal = status[0] & 0x7f;
        return termSignal == 0 ? (status[0] >> 8) & 0xff : 128 + termSignal;
    }

    /** Sends {@code signal} to {@code pid}; a process that is already gone is not an error. */
    static void kill(int pid, int signal)
    {
        try {
            Libc.kill(pid, signal);
        }
        catch (LastErrorException e) {
            if (e.getErrorCode() != ESRCH) {
                throw new IllegalStateException("kill(" + pid + ", " + signal + ") failed: errno " + e.getErrorCode(),
                        e);
            }
        }
    }

    /**
     * {@code getsid(pid)}: the session id of a process (zombies included), {@code -1} if there is no such process,
     * or {@link Long#MIN_VALUE} when the native calls are unavailable (the caller then reads {@code /proc}). One
     * system call, against an open/read/close of {@code /proc/<pid>/stat}.
     */
    static long sessionOf(long pid)
    {
        if (Libc.UNAVAILABLE != null || pid <= 0 || pid > Integer.MAX_VALUE) {
            return Long.MIN_VALUE;
        }
        return Libc.getsid((int) pid);
    }

    private static void check(int result, String call)
    {
        if (result != 0) {
            throw new IllegalStateException(call + " failed: error " + result);
        }
    }

    /** The libc functions, registered as JNI natives when this class initializes. */
    private static final class Libc
    {
        static final Throwable UNAVAILABLE = register();

        private Libc() {}

        private static Throwable register()
        {
            if (!Platform.isLinux() || !(Platform.isIntel() || Platform.isARM()) || !Platform.is64Bit()) {
                return new UnsupportedOperationException("posix_spawn is bound for 64-bit Linux only, not "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            }
            try {
                Native.register(Libc.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
                return null;
            }
            catch (LinkageError | RuntimeException e) {
                return e;
            }
        }

        static native int pipe2(int[] fds, int flags)
                throws LastErrorException;

        static native int close(int fd)
                throws LastErrorException;

        static native int posix_spawn_file_actions_init(Pointer actions);

        static native int posix_spawn_file_actions_destroy(Pointer actions);

        static native int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int target);

        static native int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int flags, int mode);

        static native int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int lowest);

        static native int posix_spawn_file_actions_addchdir_np(Pointer actions, String path);

        static native int posix_spawnattr_init(Pointer attributes);

        static native int posix_spawnattr_destroy(Pointer attributes);

        static native int posix_spawnattr_setflags(Pointer attributes, short flags);

        static native int posix_spawnattr_setsigmask(Pointer attributes, Pointer signals);

        static native int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signals);

        static native int sigemptyset(Pointer signals);

        static native int sigfillset(Pointer signals);

        static native int posix_spawn(int[] pid, String path, Pointer actions, Pointer attributes, Pointer argv,
                Pointer envp);

        static native int waitid(int idType, int id, Pointer info, int options)
                throws LastErrorException;

        static native int waitpid(int pid, int[] status, int options)
                throws LastErrorException;

        static native int kill(int pid, int signal)
                throws LastErrorException;

        static native int getsid(int pid);
    }
}
