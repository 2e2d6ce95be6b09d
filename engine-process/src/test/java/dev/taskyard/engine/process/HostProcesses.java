package dev.taskyard.engine.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An independent look at the host's processes through {@code /proc}, written separately from the engine's scanner
 * so that tests do not trust the code they check. Zombies are dead and never reported.
 */
final class HostProcesses
{
    private HostProcesses() {}

    /** One live process. */
    record Info(long pid, char state, long ppid, long session, String commandLine, Optional<Path> cwd) {}

    static List<Info> all()
    {
        List<Info> processes = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                read(Long.parseLong(name)).filter(info -> info.state() != 'Z' && info.state() != 'X')
                        .ifPresent(processes::add);
            }
        }
        catch (IOException e) {
            throw new AssertionError("cannot list /proc", e);
        }
        return processes;
    }

    /** The live processes of a session. */
    static List<Info> session(long session)
    {
        return all().stream().filter(info -> info.session() == session).toList();
    }

    /** The live processes whose current directory is {@code folder} or below it. */
    static List<Info> under(Path folder)
    {
        return all().stream().filter(info -> info.cwd().map(cwd -> cwd.startsWith(folder)).orElse(false)).toList();
    }

    static Optional<Info> read(long pid)
    {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            String stat = Files.readString(proc.resolve("stat"), StandardCharsets.UTF_8);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            String commandLine =
                    new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').trim();
            Optional<Path> cwd;
            try {
                cwd = Optional.of(Files.readSymbolicLink(proc.resolve("cwd")));
            }
            catch (IOException e) {
                cwd = Optional.empty();
            }
            return Optional.of(new Info(pid, fields[0].charAt(0), Long.parseLong(fields[1]),
                    Long.parseLong(fields[3]), commandLine, cwd));
        }
        catch (IOException | RuntimeException e) {
            return Optional.empty(); // vanished meanwhile
        }
    }
}
