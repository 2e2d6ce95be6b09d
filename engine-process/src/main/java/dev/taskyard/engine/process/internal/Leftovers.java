package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * What an engine instance has running under its root folder, recorded on disk so that the next instance can clean up
 * after one that died without disposing (SIGKILL, power loss of the JVM only): one small state file per work dir in
 * {@code <root>/.taskyard-state/}, holding the owning JVM (pid and start time), the work dir and every session started
 * in it (session id, which is the leader's pid, and the leader's start time).
 *
 * <p>{@link #cleanUp} runs when an engine starts: for every state file whose owning JVM is gone (no such pid, or a
 * pid with another start time: a reused pid), it kills the recorded sessions' remaining processes, deletes the work
 * dir and then the state file. State files of live JVMs (another engine on the same root) are left alone. A session
 * is killed only if its leader still runs with the recorded start time, or if the leader is gone and processes
 * with that session id remain (Linux does not reuse a pid while it is still some process' session id); a leader pid
 * now used by an unrelated process is skipped.
 *
 * <p>An engine configured for recovery keeps, at its start, the work dirs of dead instances whose task a supervisor
 * runs or recorded (they have a folder in {@value #RECOVERY_FOLDER}); {@link #cleanUpUnclaimed} later removes those
 * that no stored lease claims, once the worker has said which it recovers.
 *
 * <p>Thread-safe: each work dir has its own file, written by the threads of the one engine that owns it.
 */
final class Leftovers
{
    static final String FOLDER = ".taskyard-state";
    /** The supervisors' state folders of recoverable tasks, one per work dir (see {@link Supervisor}). */
    static final String RECOVERY_FOLDER = ".taskyard-recovery";
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final long SELF = ProcessHandle.current().pid();
    private static final long SELF_START = ProcSessions.startTime(SELF);

    private final Path folder;
    private final Logger logger;

    Leftovers(Path root, Logger logger)
            throws IOException
    {
        this.folder = Files.createDirectories(requireNonNull(root, "root is null").resolve(FOLDER));
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
        this.logger = requireNonNull(logger, "logger is null");
    }

    private Path file(WorkDir workDir)
    {
        return folder.resolve(workDir.path().getFileName().toString());
    }

    /** Records a new work dir of this JVM; call before anything runs in it. */
    void recordWorkDir(WorkDir workDir)
            throws IOException
    {
        Files.writeString(file(workDir), "owner " + SELF + " " + SELF_START + "\nworkdir " + workDir.path() + "\n",
                StandardCharsets.UTF_8);
    }

    /** Records a session started in the work dir (best effort: a failure is logged). */
    void recordSession(WorkDir workDir, long sessionId)
    {
        long start = ProcSessions.startTime(sessionId);
        try {
            Files.writeString(file(workDir), "session " + sessionId + " " + start + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.APPEND);
        }
        catch (IOException e) {
            logger.warn("cannot record session {} of the work dir {}: a crash now would leave it running", sessionId,
                    workDir, e);
        }
    }

    /** Records the fresh account of a work dir's task, to be deleted after a crash. */
    void recordAccount(WorkDir workDir, Users.Account account)
            throws IOException
    {
        append(workDir, "account " + account.name() + " " + account.uid() + "\n");
    }

    /** Records the cgroup of a work dir's task, to be killed and removed after a crash. */
    void recordCgroup(WorkDir workDir, TaskCgroup cgroup)
            throws IOException
    {
        StringBuilder lines = new StringBuilder();
        cgroup.dirs().forEach((controller, dir) ->
                lines.append("cgroup ").append(controller.isEmpty() ? "-" : controller).append(' ')
                .append(dir).append('\n'));
        append(workDir, lines.toString());
    }

    private void append(WorkDir workDir, String lines)
            throws IOException
    {
        Files.writeString(file(workDir), lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** Forgets a work dir once it is deleted or kept and nothing runs in it any more. */
    void forget(WorkDir workDir)
    {
        try {
            Files.deleteIfExists(file(workDir));
        }
        catch (IOException e) {
            logger.warn("cannot delete the state file of the work dir {}", workDir, e);
        }
    }

    /**
     * Cleans up after dead engine instances on this root (see the class comment).
     *
     * @return how many work dirs were cleaned up
     */
    int cleanUp(Path root, boolean keepRecoverable)
    {
        return cleanUp(root, name -> keepRecoverable && Files.isDirectory(root.resolve(RECOVERY_FOLDER).resolve(name)));
    }

    /**
     * Cleans up after dead engine instances on this root like {@link #cleanUp(Path, boolean)}, but keeps only the
     * recoverable work dirs named in {@code claimed}: the others belong to no stored lease any more (their runs were
     * handed back, cancelled or deleted), so their tasks are killed and their work dirs and supervisor state removed.
     *
     * @param claimed the file names of the work dirs whose tasks the caller will recover
     * @return how many work dirs were cleaned up
     */
    int cleanUpUnclaimed(Path root, Set<String> claimed)
    {
        requireNonNull(claimed, "claimed is null");
        return cleanUp(root, name -> claimed.contains(name)
                && Files.isDirectory(root.resolve(RECOVERY_FOLDER).resolve(name)));
    }

    private int cleanUp(Path root, Predicate<String> keep)
    {
        int cleaned = 0;
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(folder)) {
            list.forEach(files::add);
        }
        catch (IOException e) {
            logger.warn("cannot list the state folder {}", folder, e);
            return 0;
        }
        for (Path file : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            }
            catch (NoSuchFileException e) {
                continue;
            }
            catch (IOException e) {
                logger.warn("cannot read the state file {}", file, e);
                continue;
            }
            long[] owner = numbers(lines, "owner");
            if (owner.length == 2 && alive(owner[0], owner[1])) {
                continue; // a live engine's
            }
            if (keep.test(file.getFileName().toString())) {
                // a recoverable task: left for the worker to recover; its recovered sandbox deletes it when resolved
                logger.info("the work dir of {} is left for recovery", file.getFileName());
                continue;
            }
            int killed = 0;
            for (String line : lines) {
                long[] session = parse(line, "session");
                if (session.length == 2 && killable(session[0], session[1])) {
                    killed += ProcSessions.members(session[0]).length;
                    if (!ProcSessions.killUntilEmpty(session[0], KILL_TIMEOUT)) {
                        logger.warn("processes of session {} left by a crashed engine survive SIGKILL", session[0]);
                    }
                }
            }
            killed += cleanUpConfinement(lines);
            Path workDir = lines.stream().filter(l -> l.startsWith("workdir "))
                    .map(l -> Path.of(l.substring("workdir ".length()))).findFirst().orElse(null);
            try {
                if (workDir != null && workDir.normalize().startsWith(root) && Files.exists(workDir)) {
                    WorkDir.deleteTree(workDir);
                }
                WorkDir.deleteTree(root.resolve(RECOVERY_FOLDER).resolve(file.getFileName().toString()));
                Files.deleteIfExists(file);
                cleaned++;
                logger.info("cleaned up after a crashed process engine: killed {} processes, removed the work dir {}",
                        killed, workDir);
            }
            catch (IOException e) {
                logger.warn("cannot remove the work dir {} left by a crashed process engine", workDir, e);
            }
        }
        return cleaned;
    }

    /** Kills and removes the cgroup, kills the processes of and deletes the fresh account; returns how many processes
     * were killed. */
    private int cleanUpConfinement(List<String> lines)
    {
        int killed = 0;
        Map<String, Path> cgroup = new LinkedHashMap<>();
        for (String line : lines) {
            String[] words = line.split(" ", 3);
            if (words.length == 3 && words[0].equals("cgroup")) {
                cgroup.put(words[1].equals("-") ? "" : words[1], Path.of(words[2]));
            }
        }
        if (!cgroup.isEmpty()
                && cgroup.values().stream().allMatch(dir -> dir.toString().contains("/" + Cgroups.FOLDER + "/"))) {
            TaskCgroup recorded = Cgroups.recorded(cgroup);
            killed += recorded.members().length;
            try {
                recorded.remove();
            }
            catch (IOException e) {
                logger.warn("cannot remove the cgroup {} left by a crashed process engine", recorded, e);
            }
        }
        for (String line : lines) {
            String[] words = line.split(" ");
            if (words.length == 3 && words[0].equals("account") && words[2].matches("[0-9]{1,18}")
                    && words[1].equals(Users.PREFIX + words[2])) {
                long uid = Long.parseLong(words[2]);
                killed += Users.processesOf(uid).length;
                try {
                    if (Users.killAllOf(uid)) {
                        Users.delete(words[1]);
                    }
                    else {
                        logger.warn("processes of the account {} left by a crashed process engine survive SIGKILL; "
                                + "the account is kept", words[1]);
                    }
                }
                catch (IOException e) {
                    logger.warn("cannot delete the account {} left by a crashed process engine", words[1], e);
                }
            }
        }
        return killed;
    }

    /** Whether the process {@code pid} runs and started at {@code start} (clock ticks since boot). */
    private static boolean alive(long pid, long start)
    {
        long actual = ProcSessions.startTime(pid);
        return actual >= 0 && actual == start;
    }

    private static boolean killable(long sessionId, long leaderStart)
    {
        long actual = ProcSessions.startTime(sessionId);
        if (actual >= 0) {
            // the leader's pid runs: the same leader, or a reused pid (then its session is someone else's)
            return actual == leaderStart && ProcSessions.liveSession(sessionId) == sessionId;
        }
        return ProcSessions.members(sessionId).length > 0;
    }

    private static long[] numbers(List<String> lines, String key)
    {
        for (String line : lines) {
            long[] values = parse(line, key);
            if (values.length > 0) {
                return values;
            }
        }
        return new long[0];
    }

    private static long[] parse(String line, String key)
    {
        String[] words = line.trim().split(" ");
        if (words.length != 3 || !words[0].equals(key)) {
            return new long[0];
        }
        try {
            return new long[] {Long.parseLong(words[1]), Long.parseLong(words[2])};
        }
        catch (NumberFormatException e) {
            return new long[0];
        }
    }
}
