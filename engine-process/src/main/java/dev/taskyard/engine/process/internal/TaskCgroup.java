package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The cgroup of one task, one folder per hierarchy (one in all on cgroup v2): its limits, its out-of-memory count,
 * killing everything in it, removing it.
 *
 * <p>Processes join it before the task's program runs (see {@link Launcher}), so everything the task starts is
 * inside, whatever session, process group or user it moves to, and the limits are in place before the first
 * instruction of the task. Killing is race-free where the kernel helps: {@code cgroup.kill} on v2, the freezer on v1
 * (frozen processes can neither fork nor exit, so no pid is reused between the listing and the kill); without a
 * freezer, pass after pass of SIGKILL, which converges under the pids limit.
 *
 * <p>Thread-safe: the files are the state.
 */
final class TaskCgroup
{
    private static final long PERIOD_MICROS = 100_000;

    private final boolean v2;
    private final Map<String, Path> dirs;

    TaskCgroup(boolean v2, Map<String, Path> dirs)
    {
        this.v2 = v2;
        this.dirs = Map.copyOf(dirs);
    }

    /** The folders by controller ({@code ""} on v2), as recorded for crash recovery. */
    Map<String, Path> dirs()
    {
        return dirs;
    }

    /** The {@code cgroup.procs} files a process writes {@code 0} to, to join the cgroup in every hierarchy. */
    List<Path> procsFiles()
    {
        List<Path> files = new ArrayList<>();
        for (Path dir : dirs.values()) {
            files.add(dir.resolve("cgroup.procs"));
        }
        return files;
    }

    void limit(TaskLimits limits)
            throws IOException
    {
        long bytes = limits.memoryMiB() * 1024 * 1024;
        long quota = Math.max(1000, Math.round(limits.cpus() * PERIOD_MICROS));
        if (v2) {
            Path dir = dirs.get("");
            write(dir.resolve("memory.max"), bytes);
            writeIfPresent(dir.resolve("memory.swap.max"), "0");
            write(dir.resolve("pids.max"), limits.pids());
            writeIfPresent(dir.resolve("cpu.max"), quota + " " + PERIOD_MICROS);
            return;
        }
        Path memory = dirs.get("memory");
        write(memory.resolve("memory.limit_in_bytes"), bytes);
        // memory plus swap, set after memory (it may never be below it): no swapping past the limit
        writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(bytes));
        write(dirs.get("pids").resolve("pids.max"), limits.pids());
        Path cpu = dirs.get("cpu");
        if (cpu != null) {
            write(cpu.resolve("cpu.cfs_period_us"), PERIOD_MICROS);
            write(cpu.resolve("cpu.cfs_quota_us"), quota);
        }
    }

    /** How many times the kernel's OOM killer killed a process of this cgroup for exceeding its memory limit. */
    long oomKills()
    {
        Path file = v2 ? dirs.get("").resolve("memory.events") : dirs.get("memory").resolve("memory.oom_control");
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring("oom_kill ".length()).trim());
                }
            }
        }
        catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** The pids of the processes in the cgroup. */
    long[] members()
    {
        Path dir = v2 ? dirs.get("") : dirs.get("pids");
        try {
            return Files.readAllLines(dir.resolve("cgroup.procs"), StandardCharsets.US_ASCII).stream()
                    .filter(line -> !line.isBlank()).mapToLong(Long::parseLong).toArray();
        }
        catch (NoSuchFileException e) {
            return new long[0];
        }
        catch (IOException e) {
            return new long[0];
        }
    }

    /** SIGKILLs everything in the cgroup once; returns how many processes were in it. */
    int killOnce()
    {
        if (v2 && Files.exists(dirs.get("").resolve("cgroup.kill"))) {
            int count = members().length;
            if (count > 0) {
                writeQuietly(dirs.get("").resolve("cgroup.kill"), "1");
            }
            return count;
        }
        Path freezer = dirs.get("freezer");
        boolean frozen = freezer != null && freeze(freezer);
        try {
            long[] pids = members();
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            return pids.length;
        }
        finally {
            if (frozen) {
                writeQuietly(freezer.resolve("freezer.state"), "THAWED");
            }
        }
    }

    /** Kills pass after pass until the cgroup is empty or the timeout passes; returns whether it is empty. */
    boolean killUntilEmpty(Duration timeout)
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMicros = 200;
        while (killOnce() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return members().length == 0;
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(pauseMicros));
            pauseMicros = Math.min(pauseMicros * 2, 20_000);
        }
        return true;
    }

    /**
     * Kills what is left and removes the folders (the kernel refuses while a process remains: retried for a moment).
     *
     * @throws IOException a folder could not be removed
     */
    void remove()
            throws IOException
    {
        killUntilEmpty(Duration.ofSeconds(10));
        IOException failure = null;
        for (Path dir : dirs.values()) {
            for (int attempt = 0; ; attempt++) {
                try {
                    Files.deleteIfExists(dir);
                    break;
                }
                catch (IOException e) {
                    if (attempt >= 50) {
                        failure = e;
                        break;
                    }
                    killOnce();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static boolean freeze(Path freezer)
    {
        Path state = freezer.resolve("freezer.state");
        if (!writeQuietly(state, "FROZEN")) {
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            Optional<String> now = read(state);
            if (now.isEmpty() || now.get().equals("FROZEN")) {
                return now.isPresent();
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100));
        }
        return true; // still FREEZING: kill anyway, the next pass catches what was missed
    }

    private static Optional<String> read(Path file)
    {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII).trim());
        }
        catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void write(Path file, long value)
            throws IOException
    {
        Files.writeString(file, Long.toString(value), StandardCharsets.US_ASCII);
    }

    private static void writeIfPresent(Path file, String value)
            throws IOException
    {
        if (Files.exists(file)) {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        }
    }

    private static boolean writeQuietly(Path file, String value)
    {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
            return true;
        }
        catch (IOException e) {
            return false;
        }
    }

    @Override
    public String toString()
    {
        return dirs.values().toString();
    }
}
