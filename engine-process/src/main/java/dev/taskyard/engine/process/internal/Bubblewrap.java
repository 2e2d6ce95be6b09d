package dev.taskyard.engine.process.internal;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The bubblewrap ({@code bwrap}) sandbox of a task: the host's file system read-only, a private {@code /tmp},
 * {@code /var/tmp}, {@code /dev} and {@code /proc}, the engine's root folder hidden behind an empty tmpfs except
 * for the task's own work dir (read-write), new pid, IPC, UTS and cgroup namespaces, and a new network namespace
 * (loopback only) unless the network is allowed. Run as root, bwrap keeps the task's user switch for later
 * ({@code setpriv} inside), so the task never holds capabilities.
 *
 * <p>Stateless.
 */
final class Bubblewrap
{
    private static final List<Path> PRIVATE_TMP = List.of(Path.of("/tmp"), Path.of("/var/tmp"));

    private Bubblewrap() {}

    /** Empty if bwrap runs a trivial sandbox on this host, else why not. */
    static Optional<String> probe()
    {
        if (!Files.isExecutable(Path.of(Isolation.BWRAP))) {
            return Optional.of(Isolation.BWRAP + " is missing (Debian package bubblewrap)");
        }
        List<String> argv = new ArrayList<>(List.of(Isolation.BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc",
                "/proc", "--unshare-pid", "--unshare-net", "--die-with-parent", "--", "/bin/true"));
        try {
            Process process = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.of("bwrap did not finish a trivial sandbox within 30 s");
            }
            return process.exitValue() == 0 ? Optional.empty()
                    : Optional.of("bwrap fails here (exit " + process.exitValue() + "): " + output);
        }
        catch (IOException e) {
            return Optional.of("cannot run bwrap: " + e.getMessage());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while probing bwrap");
        }
    }

    /**
     * The bwrap arguments up to and including {@code --}.
     *
     * @param root the engine's root folder (hidden but for the work dir)
     * @param workDir the task's work dir
     * @param directory where the task starts, inside the work dir
     * @param network whether the task keeps the host's network
     */
    static List<String> arguments(Path root, Path workDir, Path directory, boolean network)
    {
        List<String> argv = new ArrayList<>(List.of(Isolation.BWRAP, "--ro-bind", "/", "/", "--dev",
                "/dev", "--proc", "/proc"));
        for (Path tmp : PRIVATE_TMP) {
            argv.addAll(List.of("--perms", "1777", "--tmpfs", tmp.toString()));
        }
        // folders between a private tmp and the root folder do not exist in the tmpfs: make them, searchable only
        for (Path tmp : PRIVATE_TMP) {
            if (root.startsWith(tmp) && !root.equals(tmp)) {
                Path between = tmp;
                for (Path name : tmp.relativize(root.getParent() == null ? root : root.getParent())) {
                    between = between.resolve(name);
                    if (!between.equals(tmp)) {
                        argv.addAll(List.of("--perms", "0711", "--dir", between.toString()));
                    }
                }
            }
        }
        argv.addAll(List.of("--perms", "0711", "--tmpfs", root.toString(), "--bind",
                workDir.toString(), workDir.toString()));
        argv.addAll(List.of("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--hostname", "taskyard"));
        if (!network) {
            argv.add("--unshare-net");
        }
        // no --die-with-parent: the "parent" of a process is the thread that forked it, so a task started from a
        // pool thread would be killed when that thread ends; the engine's sweeps (and crash recovery) end sandboxes.
        // No --new-session either: Launcher adds it where no setsid runs before bwrap (whose session sweep must see
        // the sandbox's processes)
        argv.addAll(List.of("--chdir", directory.toString(), "--"));
        return argv;
    }
}
