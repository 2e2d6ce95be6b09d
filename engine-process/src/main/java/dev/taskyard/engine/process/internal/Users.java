package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Accounts of the host: who the server is, looking accounts up ({@code getent}), creating and deleting fresh task
 * accounts ({@code useradd}/{@code userdel}), and finding processes by owner. Stateless; the account commands are
 * serialized within the JVM (they lock {@code /etc/passwd} and fail rather than wait when another holds it; such
 * failures are retried).
 */
final class Users
{
    static final String PREFIX = "taskyard-";
    private static final Object ACCOUNTS = new Object();
    private static final long SELF_UID = ownerOf(Path.of("/proc/self"));

    private Users() {}

    /** A task account. */
    record Account(String name, long uid, long gid)
    {
        @Override
        public String toString()
        {
            return name + " (uid " + uid + ", gid " + gid + ")";
        }
    }

    static boolean isRoot()
    {
        return SELF_UID == 0;
    }

    static long selfUid()
    {
        return SELF_UID;
    }

    /** Looks an account up by name or uid; empty if unknown. */
    static Optional<Account> lookUp(String nameOrUid)
            throws IOException
    {
        Result result = run(List.of("getent", "passwd", nameOrUid));
        if (result.exit() != 0) {
            return Optional.empty();
        }
        String[] fields = result.output().trim().split(":");
        if (fields.length < 4) {
            throw new IOException("getent passwd " + nameOrUid + " printed an unexpected line: "
                    + result.output().trim());
        }
        return Optional.of(new Account(fields[0], Long.parseLong(fields[2]), Long.parseLong(fields[3])));
    }

    /**
     * Creates the account {@code taskyard-<uid>} with its own group, no password, no login shell and {@code home} as
     * home (not created).
     *
     * @throws IOException useradd failed
     */
    static Account create(long uid, Path home)
            throws IOException
    {
        String name = PREFIX + uid;
        accountCommand(List.of("useradd", "--uid", Long.toString(uid), "--user-group", "--no-create-home",
                "--home-dir", home.toString(),
                "--shell", "/usr/sbin/nologin", "--no-log-init", "--comment", "taskyard task", name));
        return lookUp(name).orElseThrow(() ->
                new IOException("useradd created " + name + ", but getent does not know it"));
    }

    /** Deletes a task account and its group; an account that is already gone is fine. */
    static void delete(String name)
            throws IOException
    {
        if (!name.startsWith(PREFIX)) {
            throw new IllegalArgumentException("not a task account: " + name);
        }
        if (lookUp(name).isEmpty()) {
            return;
        }
        accountCommand(List.of("userdel", name));
    }

    /** The pids of the processes whose effective uid is {@code uid}. */
    static long[] processesOf(long uid)
    {
        String[] names = new java.io.File("/proc").list();
        if (names == null) {
            return new long[0];
        }
        List<Long> found = new ArrayList<>();
        for (String name : names) {
            if (!name.isEmpty() && Character.isDigit(name.charAt(0)) && ownerOf(Path.of("/proc", name)) == uid) {
                found.add(Long.parseLong(name));
            }
        }
        return found.stream().mapToLong(Long::longValue).toArray();
    }

    /** SIGKILLs every process of {@code uid}, pass after pass, until none is left (at most ~10 s). */
    static boolean killAllOf(long uid)
    {
        if (uid == 0 || uid == SELF_UID) {
            throw new IllegalArgumentException("refusing to kill every process of uid " + uid);
        }
        for (int pass = 0; pass < 500; pass++) {
            long[] pids = processesOf(uid);
            if (pids.length == 0) {
                return true;
            }
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            try {
                Thread.sleep(pass < 10 ? 1 : 20);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return processesOf(uid).length == 0;
            }
        }
        return processesOf(uid).length == 0;
    }

    private static long ownerOf(Path path)
    {
        try {
            return ((Number) Files.getAttribute(path, "unix:uid")).longValue();
        }
        catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    private static void accountCommand(List<String> command)
            throws IOException
    {
        synchronized (ACCOUNTS) {
            for (int attempt = 0; ; attempt++) {
                Result result = run(command);
                if (result.exit() == 0) {
                    return;
                }
                // 10: cannot update the group file, 1: cannot update the password file (locked by someone else)
                if ((result.exit() == 1 || result.exit() == 10) && attempt < 20) {
                    try {
                        Thread.sleep(50);
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while retrying " + command.get(0), e);
                    }
                    continue;
                }
                throw new IOException(String.join(" ", command) + " failed with exit code " + result.exit() + ": "
                        + result.output().trim());
            }
        }
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> command)
            throws IOException
    {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command.get(0) + " did not finish within 30 s");
            }
            return new Result(process.exitValue(), output);
        }
        catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }
}
