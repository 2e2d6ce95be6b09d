package dev.taskyard.engine.process.internal;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** Both ways of starting a process behave the same: session, folder, environment, streams, descriptors, exit values. */
class SpawnerTest
{
    private static final Map<String, String> ENVIRONMENT = Map.of("PATH", "/usr/bin:/bin", "FOO", "bar baz");

    @TempDir
    Path folder;

    @Test
    void posixSpawnBindsOnThisHost()
            throws Exception
    {
        // Linux with glibc ≥ 2.34 (CI: Debian 12): auto must take posix_spawn, not silently fall back
        assertThat(PosixSpawn.unavailable()).isEmpty();
        assertThat(spawner(Spawner.Mode.AUTO).posixSpawn()).isTrue();
        assertThat(spawner(Spawner.Mode.PROCESS_BUILDER).posixSpawn()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = Spawner.Mode.class, names = {"POSIX_SPAWN", "PROCESS_BUILDER"})
    void sessionLeaderInItsFolderWithItsEnvironmentOnly(Spawner.Mode mode)
            throws Exception
    {
        Child child = start(mode, "read -r _ _ _ _ _ sid _ < /proc/$$/stat; echo \"pid=$$ sid=$sid\"; pwd; env | sort",
                Spawner.Stdio.MERGED);
        List<String> lines = lines(child.stdout());
        assertThat(child.waitFor()).isZero();
        assertThat(lines.get(0)).isEqualTo("pid=" + child.pid() + " sid=" + child.pid());
        assertThat(lines.get(1)).isEqualTo(folder.toString());
        // sh adds PWD (and may add SHLVL and _); nothing of the JVM's environment comes through
        assertThat(lines.subList(2, lines.size())).contains("FOO=bar baz", "PATH=/usr/bin:/bin")
                .allMatch(line -> line.startsWith("FOO=") || line.startsWith("PATH=") || line.startsWith("PWD=")
                        || line.startsWith("SHLVL=") || line.startsWith("_="));
    }

    @ParameterizedTest
    @EnumSource(value = Spawner.Mode.class, names = {"POSIX_SPAWN", "PROCESS_BUILDER"})
    void mergedOutputStdinFromDevNullAndNoDescriptorOfTheJvm(Spawner.Mode mode)
            throws Exception
    {
        Path file = Files.writeString(folder.resolve("open-in-the-jvm"), "secret");
        try (FileInputStream held = new FileInputStream(file.toFile())) {
            // the JVM opens files without O_CLOEXEC: a child must still see none but its three streams
            Child child = start(mode, "echo out; echo err >&2; cat; ls /proc/self/fd; readlink /proc/self/fd/0",
                    Spawner.Stdio.MERGED);
            List<String> lines = lines(child.stdout());
            assertThat(child.waitFor()).isZero();
            // ls lists 0 1 2 and its own directory descriptor
            assertThat(lines).containsExactly("out", "err", "0", "1", "2", "3", "/dev/null");
            assertThat(child.stderr().read()).isEqualTo(-1);
            assertThat(held.read()).isEqualTo('s');
        }
    }

    @ParameterizedTest
    @EnumSource(value = Spawner.Mode.class, names = {"POSIX_SPAWN", "PROCESS_BUILDER"})
    void threePipes(Spawner.Mode mode)
            throws Exception
    {
        Child child = start(mode, "while read -r line; do echo \"got $line\"; echo \"err $line\" >&2; done; exit 3",
                Spawner.Stdio.PIPES);
        CompletableFuture<List<String>> errors = CompletableFuture.supplyAsync(() -> lines(child.stderr()));
        try (OutputStream stdin = child.stdin()) {
            stdin.write("a\nb\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(lines(child.stdout())).containsExactly("got a", "got b");
        assertThat(errors.get(10, TimeUnit.SECONDS)).containsExactly("err a", "err b");
        assertThat(child.waitFor()).isEqualTo(3);
        assertThat(child.waitFor()).isEqualTo(3);
        child.destroyForcibly(); // reaped: nothing is signalled
    }

    @ParameterizedTest
    @EnumSource(value = Spawner.Mode.class, names = {"POSIX_SPAWN", "PROCESS_BUILDER"})
    void noStreamsAtAll(Spawner.Mode mode)
            throws Exception
    {
        // a supervisor's streams: /dev/null all three, no pipe for the JVM to hold
        Child child = start(mode, "exec sleep 30", Spawner.Stdio.NONE);
        try {
            for (int fd = 0; fd < 3; fd++) {
                Path link = Path.of("/proc/" + child.pid() + "/fd/" + fd);
                assertThat(Files.readSymbolicLink(link)).as(link.toString()).isEqualTo(Path.of("/dev/null"));
            }
            assertThat(child.stdout().read()).isEqualTo(-1);
            assertThat(child.stderr().read()).isEqualTo(-1);
        }
        finally {
            child.destroyForcibly();
            assertThat(child.waitFor()).isEqualTo(128 + 9);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Spawner.Mode.class, names = {"POSIX_SPAWN", "PROCESS_BUILDER"})
    void killedBySignal(Spawner.Mode mode)
            throws Exception
    {
        Child child = start(mode, "echo started; exec sleep 60", Spawner.Stdio.MERGED);
        InputStream stdout = child.stdout();
        assertThat(new String(stdout.readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("started\n");
        child.destroyForcibly();
        assertThat(child.waitFor()).isEqualTo(128 + 9);
        assertThat(stdout.read()).isEqualTo(-1);
        child.destroyForcibly();
    }

    @ParameterizedTest
    @EnumSource(value = Spawner.Mode.class, names = {"POSIX_SPAWN", "PROCESS_BUILDER"})
    void programsAreFoundLikeExecvpDoes(Spawner.Mode mode)
            throws Exception
    {
        // through the child's PATH, relative to the child's folder, and a script without #! (execvp runs it with sh)
        Path script = Files.writeString(folder.resolve("no-shebang"), "echo \"script in $PWD\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Spawner spawner = spawner(mode);
        Child child = spawner.start(setsid -> argv(setsid, List.of("./no-shebang")), folder, ENVIRONMENT,
                Spawner.Stdio.MERGED);
        assertThat(lines(child.stdout())).containsExactly("script in " + folder);
        assertThat(child.waitFor()).isZero();
        child = spawner.start(setsid -> argv(setsid, List.of("false")), folder, ENVIRONMENT, Spawner.Stdio.MERGED);
        assertThat(child.waitFor()).isEqualTo(1);
    }

    @Test
    void resolvesLikeExecvp()
            throws Exception
    {
        assertThat(Spawner.resolve("sh", folder, "/nowhere::/bin")).contains("/bin/sh");
        assertThat(Spawner.resolve("sh", folder, null)).isEmpty();
        assertThat(Spawner.resolve("missing", folder, "/bin")).isEmpty();
        assertThat(Spawner.resolve("/bin/sh", folder, null)).contains("/bin/sh");
        Files.createDirectories(folder.resolve("bin"));
        Path tool = Files.writeString(folder.resolve("bin/tool"), "#!/bin/sh\n");
        assertThat(Spawner.resolve("tool", folder, "bin")).isEmpty(); // not executable
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwx------"));
        assertThat(Spawner.resolve("tool", folder, "bin")).contains(tool.toString());
        assertThat(Spawner.resolve("bin/tool", folder, "/bin")).contains(tool.toString());
        assertThat(Spawner.resolve("bin", folder, ".")).isEmpty(); // a folder
    }

    private Child start(Spawner.Mode mode, String script, Spawner.Stdio stdio)
            throws IOException
    {
        return spawner(mode).start(setsid -> argv(setsid, List.of("/bin/sh", "-c", script)), folder, ENVIRONMENT,
                stdio);
    }

    private static List<String> argv(boolean setsid, List<String> command)
    {
        List<String> argv = new ArrayList<>();
        if (setsid) {
            argv.addAll(List.of(Launcher.SETSID, "-w", "--"));
        }
        argv.addAll(command);
        return argv;
    }

    private static Spawner spawner(Spawner.Mode mode)
            throws IOException
    {
        try {
            return Spawner.create(mode, LoggerFactory.getLogger(SpawnerTest.class));
        }
        catch (dev.taskyard.engine.EngineException e) {
            throw new IOException(e);
        }
    }

    private static List<String> lines(InputStream stream)
    {
        try (stream) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            stream.transferTo(bytes);
            String text = bytes.toString(StandardCharsets.UTF_8);
            return text.isEmpty() ? List.of() : List.of(text.split("\n"));
        }
        catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
