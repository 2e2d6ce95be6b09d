package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Where this host lets the engine make task cgroups: cgroup v2 when the unified hierarchy offers the {@code memory}
 * and {@code pids} controllers to the server's own cgroup, else cgroup v1 with the {@code memory} and {@code pids}
 * hierarchies (plus {@code cpu} and {@code freezer} when mounted). Task cgroups go below the server's own cgroup of
 * each hierarchy (read from {@code /proc/self/cgroup}), in a {@code taskyard} folder.
 *
 * <p>On cgroup v2 a cgroup with processes cannot hand controllers to children, so unless the server runs in the root
 * cgroup the server moves itself into a leaf {@code taskyard-server} next to the {@code taskyard} folder; it does so
 * only when its cgroup holds no other process.
 *
 * <p>Immutable and thread-safe.
 */
final class Cgroups
{
    static final String FOLDER = "taskyard";
    private static final Path PROC_MOUNTS = Path.of("/proc/self/mounts");
    private static final Path PROC_CGROUP = Path.of("/proc/self/cgroup");

    private final boolean v2;
    private final Map<String, Path> bases;

    private Cgroups(boolean v2, Map<String, Path> bases)
    {
        this.v2 = v2;
        this.bases = Map.copyOf(bases);
    }

    /** Thrown when the host offers no usable cgroups; the message says why. */
    static final class UnavailableException
            extends Exception
    {
        UnavailableException(String message)
        {
            super(message);
        }
    }

    /**
     * Finds the hierarchy and creates the {@code taskyard} folders.
     *
     * @throws UnavailableException the server is not root, the controllers are missing, or the folders cannot be
     *         made
     */
    static Cgroups detect()
            throws UnavailableException
    {
        if (!Users.isRoot()) {
            throw new UnavailableException("the server does not run as root");
        }
        List<String[]> mounts = new ArrayList<>();
        Map<String, String> own = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(PROC_MOUNTS, StandardCharsets.UTF_8)) {
                String[] fields = line.split(" ");
                if (fields.length >= 4 && (fields[2].equals("cgroup") || fields[2].equals("cgroup2"))) {
                    mounts.add(fields);
                }
            }
            for (String line : Files.readAllLines(PROC_CGROUP, StandardCharsets.UTF_8)) {
                String[] fields = line.split(":", 3);
                if (fields.length == 3) {
                    for (String controller : fields[1].isEmpty() ? new String[] {""} : fields[1].split(",")) {
                        own.put(controller, fields[2]);
                    }
                }
            }
        }
        catch (IOException e) {
            throw new UnavailableException("cannot read " + PROC_MOUNTS + " or " + PROC_CGROUP + ": " + e);
        }
        try {
            Cgroups unified = detectV2(mounts, own);
            if (unified != null) {
                return unified;
            }
            return detectV1(mounts, own);
        }
        catch (IOException e) {
            throw new UnavailableException("cannot set up the task cgroups: " + e);
        }
    }

    private static Cgroups detectV2(List<String[]> mounts, Map<String, String> own)
            throws IOException, UnavailableException
    {
        String path = own.get("");
        for (String[] mount : mounts) {
            if (!mount[2].equals("cgroup2") || path == null) {
                continue;
            }
            Path mine = Path.of(mount[1] + path);
            Path controllers = mine.resolve("cgroup.controllers");
            if (!Files.isReadable(controllers)) {
                continue;
            }
            Set<String> offered = Set.of(Files.readString(controllers).trim().split("\\s+"));
            if (!offered.contains("memory") || !offered.contains("pids")) {
                continue;
            }
            if (!path.equals("/")) {
                leaveForLeaf(mine);
            }
            String enable = "+memory +pids" + (offered.contains("cpu") ? " +cpu" : "");
            Files.writeString(mine.resolve("cgroup.subtree_control"), enable);
            Path base = Files.createDirectories(mine.resolve(FOLDER));
            Files.writeString(base.resolve("cgroup.subtree_control"), enable);
            return new Cgroups(true, Map.of("", base));
        }
        return null;
    }

    /** Moves the server into a leaf of its cgroup, so that the cgroup may delegate controllers (v2 only). */
    private static void leaveForLeaf(Path mine)
            throws IOException, UnavailableException
    {
        String self = Long.toString(ProcessHandle.current().pid());
        for (String pid : Files.readAllLines(mine.resolve("cgroup.procs"))) {
            if (!pid.isBlank() && !pid.equals(self)) {
                throw new UnavailableException("the server's cgroup " + mine + " holds other processes (pid " + pid
                        + "); give the server a cgroup of its own");
            }
        }
        Path leaf = Files.createDirectories(mine.resolve("taskyard-server"));
        Files.writeString(leaf.resolve("cgroup.procs"), self);
    }

    private static Cgroups detectV1(List<String[]> mounts, Map<String, String> own)
            throws IOException, UnavailableException
    {
        Map<String, Path> bases = new LinkedHashMap<>();
        for (String controller : List.of("memory", "pids", "cpu", "freezer")) {
            for (String[] mount : mounts) {
                if (mount[2].equals("cgroup") && List.of(mount[3].split(",")).contains(controller)
                        && own.containsKey(controller)) {
                    bases.put(controller,
                            Files.createDirectories(Path.of(mount[1] + own.get(controller)).resolve(FOLDER)));
                    break;
                }
            }
        }
        for (String needed : List.of("memory", "pids")) {
            if (!bases.containsKey(needed)) {
                throw new UnavailableException("neither cgroup v2 nor a cgroup v1 " + needed + " hierarchy offers the "
                        + needed + " controller");
            }
        }
        return new Cgroups(false, bases);
    }

    /** Whether this is the unified (v2) hierarchy. */
    boolean isV2()
    {
        return v2;
    }

    /** The controllers in use, for the log. */
    String describe()
    {
        return (v2 ? "cgroup v2 " : "cgroup v1 ") + bases.values();
    }

    /**
     * Creates the cgroup of one task with its limits.
     *
     * @throws IOException the cgroup could not be made or limited (nothing is left behind then)
     */
    TaskCgroup create(String name, TaskLimits limits)
            throws IOException
    {
        requireNonNull(name, "name is null");
        requireNonNull(limits, "limits is null");
        Map<String, Path> dirs = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Path> base : bases.entrySet()) {
                dirs.put(base.getKey(), Files.createDirectory(base.getValue().resolve(name)));
            }
            TaskCgroup cgroup = new TaskCgroup(v2, dirs);
            cgroup.limit(limits);
            return cgroup;
        }
        catch (IOException | RuntimeException e) {
            for (Path dir : dirs.values()) {
                try {
                    Files.deleteIfExists(dir);
                }
                catch (IOException inner) {
                    e.addSuppressed(inner);
                }
            }
            throw e;
        }
    }

    /** A task cgroup recorded by an engine that died (controller to folder; {@code ""} for v2), for the clean-up. */
    static TaskCgroup recorded(Map<String, Path> dirs)
    {
        return new TaskCgroup(dirs.containsKey(""), dirs);
    }
}
