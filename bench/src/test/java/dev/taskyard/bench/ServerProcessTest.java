package dev.taskyard.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ServerProcessTest
{
    /** The repository's copy of the distribution's options (tests run in the bench module's folder). */
    private static final Path SHIPPED = Path.of("../server/jvm.options");
    private static final Path LAUNCHER = Path.of("../taskyard");

    @TempDir
    Path root;

    @Test
    void theFileOptionsComeFirstThenTheExtraOnes()
            throws Exception
    {
        Path jar = distribution("# comment\n\n  -XX:+UseParallelGC   # why\n-Xss512k\n");
        assertThat(ServerProcess.javaOptions(jar, null)).containsExactly("-XX:+UseParallelGC", "-Xss512k");
        assertThat(ServerProcess.javaOptions(jar, "  -Xmx256m  -Dx=1 "))
                .containsExactly("-XX:+UseParallelGC", "-Xss512k", "-Xmx256m", "-Dx=1");
    }

    @Test
    void aCollectorAmongTheExtraOptionsReplacesTheFilesCollector()
            throws Exception
    {
        Path jar = distribution("-XX:+UseParallelGC\n-Xss512k\n");
        assertThat(ServerProcess.javaOptions(jar, "-Xmx1g -XX:+UseG1GC"))
                .containsExactly("-Xss512k", "-Xmx1g", "-XX:+UseG1GC");
        // a flag that merely mentions GC is not a collector
        assertThat(ServerProcess.javaOptions(jar, "-XX:+UseGCOverheadLimit"))
                .containsExactly("-XX:+UseParallelGC", "-Xss512k", "-XX:+UseGCOverheadLimit");
    }

    @Test
    void withoutTheFileOnlyTheExtraOptionsApply()
            throws Exception
    {
        Path jar = distribution(null);
        assertThat(ServerProcess.javaOptions(jar, "")).isEmpty();
        assertThat(ServerProcess.javaOptions(jar, "-Xmx64m")).containsExactly("-Xmx64m");
    }

    @Test
    void theShippedFileChoosesExactlyOneCollector()
            throws Exception
    {
        Path jar = distribution(Files.readString(SHIPPED));
        List<String> options = ServerProcess.javaOptions(jar, null);
        assertThat(options).filteredOn(option -> option.matches("-XX:\\+Use[A-Za-z0-9]+GC")).hasSize(1);
        assertThat(options).noneMatch(option -> option.startsWith("-XX:TieredStopAtLevel"));
    }

    @Test
    void theLauncherGivesTheServerTheSameOptions()
            throws Exception
    {
        Path jar = distribution(Files.readString(SHIPPED) + "  -Xss1m # it's a comment\n");
        Files.copy(LAUNCHER, root.resolve("taskyard"));
        // a fake java on the PATH prints the arguments it was given, one per line
        Path bin = Files.createDirectories(root.resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String extra : new String[] {null, "-Xmx128m", "-XX:+UseSerialGC -Xmx128m"}) {
            List<String> expected = new ArrayList<>(ServerProcess.javaOptions(jar, extra));
            expected.addAll(List.of("-jar", jar.toString(), "serve", "--port", "0"));
            assertThat(launch(bin, extra)).as("TASKYARD_JAVA_OPTS=%s", extra).isEqualTo(expected);
        }
    }

    private List<String> launch(Path bin, String extra)
            throws Exception
    {
        ProcessBuilder builder = new ProcessBuilder("bash", root.resolve("taskyard").toString(), "serve", "--port", "0")
                .redirectErrorStream(true);
        Map<String, String> environment = builder.environment();
        environment.put("PATH", bin + ":" + environment.getOrDefault("PATH", "/usr/bin:/bin"));
        environment.remove("TASKYARD_JAVA_OPTS");
        if (extra != null) {
            environment.put("TASKYARD_JAVA_OPTS", extra);
        }
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        return out.lines().toList();
    }

    /** A distribution folder: server/target/taskyard.jar (empty) and, unless null, server/jvm.options. */
    private Path distribution(String options)
            throws Exception
    {
        Path target = Files.createDirectories(root.resolve("server/target"));
        Path jar = Files.write(target.resolve("taskyard.jar"), new byte[0]);
        if (options != null) {
            Files.writeString(root.resolve("server/jvm.options"), options);
        }
        return jar.toAbsolutePath();
    }
}
