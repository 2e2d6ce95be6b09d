package dev.taskyard.engine.process.internal;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Finds and kills the processes of a Linux session by scanning {@code /proc/<pid>/stat}.
 *
 * <p>A task runs in its own session (started through {@code setsid}), so every process it creates, including
 * double-forked daemons reparented to init, keeps the task's session id unless it calls {@code setsid()} itself
 * (such a process escapes; only cgroups could catch it). Zombies are dead and ignored: on hosts whose init does
 * not reap orphans they linger, but they hold nothing but a process table slot.
 *
 * <p>Cost: one {@code getsid()} per process on the host where JNA binds it ({@link PosixSpawn#sessionOf}), and the
 * {@code /proc/<pid>/stat} read (open/read/close, about 7 µs from Java) only for the processes it finds in the
 * session; without JNA, that read for every process (about 0.75 ms for 100 processes on the 2-core VM). Races
 * (processes vanishing or appearing during the scan) are tolerated: a vanished process is skipped, a new member is
 * found by the next pass.
 *
 * <p>PID reuse: Linux does not reuse a pid while any process still has it as session id, so scanning for the
 * session id of a leader that has exited is safe as long as members remain; callers stop scanning once a pass finds
 * the session empty. Every kill re-checks the session id through a {@link ProcessHandle} pinned to the process'
 * start time.
 *
 * <p>Thread-safe and stateless (a per-thread read buffer only).
 */
public final class ProcSessions
{
    private static final File PROC = new File("/proc");
    private static final long SELF = ProcessHandle.current().pid();
    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[1024]);
    private static final long[] NONE = new long[0];

    private ProcSessions() {}

    /** The pids of the live (not zombie) processes whose session id is {@code sid}, in no particular order. */
    public static long[] members(long sid)
    {
        String[] names = PROC.list();
        if (names == null) {
            return NONE;
        }
        long[] found = NONE;
        int count = 0;
        for (String name : names) {
            long pid = parsePid(name);
            if (pid <= 0 || pid == SELF) {
                continue;
            }
            // getsid() first (one system call) where it is bound: only its matches, zombies included, need the
            // stat read that tells the live members apart
            long quick = PosixSpawn.sessionOf(pid);
            if ((quick == Long.MIN_VALUE || quick == sid) && liveSession(pid) == sid) {
                if (count == found.length) {
                    found = Arrays.copyOf(found, Math.max(4, count * 2));
                }
                found[count++] = pid;
            }
        }
        return count == found.length ? found : Arrays.copyOf(found, count);
    }

    /** Sends SIGKILL once to every live process of the session; returns how many were found. */
    public static int killOnce(long sid)
    {
        long[] pids = members(sid);
        for (long pid : pids) {
            kill(pid, sid);
        }
        return pids.length;
    }

    /**
     * Kills the session's processes pass after pass until a pass finds none, or the timeout passes.
     *
     * @return whether the session is empty
     */
    public static boolean killUntilEmpty(long sid, Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMicros = 200;
        while (true) {
            if (killOnce(sid) == 0) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return members(sid).length == 0;
            }
            // SIGKILL is delivered asynchronously: give the victims a moment to die before the next pass
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(pauseMicros));
            pauseMicros = Math.min(pauseMicros * 2, 20_000);
        }
    }

    /** The session id of a live process, {@code -1} if it is gone, a zombie, or unreadable. */
    public static long liveSession(long pid)
    {
        byte[] buffer = BUFFER.get();
        int length;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat")) {
            length = in.read(buffer);
        }
        catch (IOException e) {
            return -1; // vanished, or not ours to read
        }
        return parseSession(buffer, length);
    }

    /**
     * The start time of a live process in clock ticks since boot ({@code /proc/<pid>/stat} field 22), which with
     * the pid identifies a process across pid reuse; {@code -1} if it is gone, a zombie, or unreadable.
     */
    public static long startTime(long pid)
    {
        byte[] buffer = BUFFER.get();
        int length;
        try (FileInputStream in = new FileInputStream("/proc/" + pid + "/stat")) {
            length = in.read(buffer);
        }
        catch (IOException e) {
            return -1;
        }
        return parseStartTime(buffer, length);
    }

    /** Parses field 22 (starttime) out of a {@code stat} line; -1 for a zombie or a malformed line. */
    static long parseStartTime(byte[] stat, int length)
    {
        int close = length - 1;
        while (close >= 0 && stat[close] != ')') {
            close--;
        }
        int i = close + 2; // at field 3 (state)
        if (close < 0 || i >= length || stat[i] == 'Z' || stat[i] == 'X' || stat[i] == 'x') {
            return -1;
        }
        for (int field = 3; field < 22; field++) {
            while (i < length && stat[i] != ' ') {
                i++;
            }
            i++;
        }
        long start = 0;
        int digits = 0;
        while (i < length && stat[i] >= '0' && stat[i] <= '9') {
            start = start * 10 + (stat[i++] - '0');
            digits++;
        }
        return digits == 0 ? -1 : start;
    }

    /**
     * Parses the session id out of a {@code stat} line: {@code pid (comm) state ppid pgrp session ...}. The command
     * name may contain spaces and parentheses, so parsing starts after the last {@code )}.
     */
    static long parseSession(byte[] stat, int length)
    {
        int close = length - 1;
        while (close >= 0 && stat[close] != ')') {
            close--;
        }
        int i = close + 2; // skip ") "
        if (close < 0 || i >= length) {
            return -1;
        }
        byte state = stat[i];
        if (state == 'Z' || state == 'X' || state == 'x') {
            return -1;
        }
        i += 2;
        for (int field = 0; field < 2; field++) { // skip ppid and pgrp
            while (i < length && stat[i] != ' ') {
                i++;
            }
            i++;
        }
        long session = 0;
        int digits = 0;
        while (i < length && stat[i] >= '0' && stat[i] <= '9') {
            session = session * 10 + (stat[i++] - '0');
            digits++;
        }
        return digits == 0 ? -1 : session;
    }

    private static void kill(long pid, long sid)
    {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        // the handle is pinned to the process' start time; re-check that it is still the member we found
        if (handle.isPresent() && liveSession(pid) == sid) {
            handle.get().destroyForcibly();
        }
    }

    private static long parsePid(String name)
    {
        int length = name.length();
        if (length == 0 || length > 18) {
            return -1;
        }
        long pid = 0;
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            pid = pid * 10 + (c - '0');
        }
        return pid;
    }
}
