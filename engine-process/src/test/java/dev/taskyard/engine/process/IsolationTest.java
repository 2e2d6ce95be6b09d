package dev.taskyard.engine.process;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process engine's protections through the engine, with fresh accounts and cgroups required (this must run as
 * root, as CI does; never skipped): the pids limit stops a fork bomb while the host keeps working, a memory hog ends
 * out of memory, a task can neither read the server's data nor signal the server or another task, and nothing of a
 * task (account, cgroup, process) outlives it.
 */
@Timeout(120)
class IsolationTest
{
    static final String ISOLATED =
            "{\"runAs\": \"fresh\", \"cgroups\": \"required\", \"maxPids\": 256, \"defaultPids\": 64, "
            + "\"defaultMemoryMiB\": 256}";
    private static final Pattern UID = Pattern.compile("uid=(\\d+)");

    @Test
    void tasksRunAsAFreshAccountThatIsDeletedAfterwards()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(ISOLATED)) {
            TaskContext context = fixture.newContext();
            ResultSet result = fixture.builder(EngineFixture.command("sh", "-c",
                    "id; echo home=$HOME; touch \"$HOME/mine\" \"$TMPDIR/tmp\" && echo wrote"), context)
                    .startSandbox().waitForResult();
            String log = context.log().contentAsString();
            assertThat(result.success()).as(log).isTrue();
            Matcher uid = UID.matcher(log);
            assertThat(uid.find()).as(log).isTrue();
            long taskUid = Long.parseLong(uid.group(1));
            assertThat(taskUid).isGreaterThanOrEqualTo(700_000_000L);
            assertThat(log).contains("wrote").contains("taskyard-" + taskUid);
            result.dispose();
            assertThat(passwd()).as("the task account after dispose").doesNotContain("taskyard-" + taskUid + ":");
            assertThat(HostProcesses.all()).as("processes left")
                    .noneMatch(info -> info.commandLine().contains("taskyard-" + taskUid));
        }
    }

    @Test
    void forkBombIsStoppedByThePidsLimitAndTheHostKeepsWorking()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(ISOLATED)) {
            TaskContext context = fixture.newContext(builder -> builder.deadline(Instant.now().plusSeconds(6)));
            ObjectNode payload = EngineFixture.command("sh", "-c", "echo bombing; b() { b | b & }; b; sleep 60");
            payload.put("pids", 32);
            Sandbox sandbox = fixture.builder(payload, context).startSandbox();
            EngineFixture.awaitLog(context, "bombing", Duration.ofSeconds(10));
            Thread.sleep(1000);
            // the host still starts processes while the bomb runs against its limit
            Process probe = new ProcessBuilder("sh", "-c", "echo host-alive").redirectErrorStream(true).start();
            assertThat(new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .contains("host-alive");
            assertThat(probe.waitFor()).isZero();
            assertThat(cgroupPids(fixture)).as("processes in the task's cgroups").allMatch(count -> count <= 32);
            ResultSet result = sandbox.waitForResult();
            assertThat(result.termination().timedOut())
                    .as("the bomb ran until its deadline: %s", result.termination()).isTrue();
            assertThat(context.log().contentAsString())
                    .containsAnyOf("Cannot fork", "Resource temporarily unavailable", "fork");
            result.dispose();
            assertThat(cgroupPids(fixture)).as("task cgroups after dispose").isEmpty();
        }
    }

    @Test
    void memoryHogEndsOutOfMemory()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(ISOLATED)) {
            TaskContext context = fixture.newContext(builder -> builder.deadline(Instant.now().plusSeconds(60)));
            ObjectNode payload = EngineFixture.command("tail", "/dev/zero");
            payload.put("memoryMiB", 32);
            ResultSet result = fixture.builder(payload, context).startSandbox().waitForResult();
            assertThat(result.termination().outOfMemory()).as("termination %s", result.termination()).isTrue();
            assertThat(result.termination().signal()).hasValue(9);
            assertThat(result.termination().timedOut()).isFalse();
            assertThat(result.success()).isFalse();
            result.dispose();
        }
    }

    @Test
    void aTaskWithinItsLimitsIsNotOutOfMemory()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(ISOLATED)) {
            TaskContext context = fixture.newContext();
            ObjectNode payload =
                    EngineFixture.command("sh", "-c", "head -c 4000000 /dev/zero | tail -c 10 | wc -c; exit 3");
            payload.put("memoryMiB", 64);
            ResultSet result = fixture.builder(payload, context).startSandbox().waitForResult();
            assertThat(result.termination().outOfMemory()).isFalse();
            assertThat(result.termination().exitCode()).hasValue(3);
            result.dispose();
        }
    }

    @Test
    void aTaskCannotReadTheServersDataNorSignalTheServerOrAnotherTask()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(ISOLATED)) {
            // a server data folder like serve's: the token owner-only, the store in an owner-only folder
            Path data = Files.createDirectories(fixture.folder().resolve("data"));
            Path token = Files.writeString(data.resolve("api-token"), "secret-token-value");
            Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
            Path store = Files.createDirectories(data.resolve("store"));
            Files.writeString(store.resolve("tasks.db"), "store-content");
            Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwx------"));

            TaskContext victimContext = fixture.newContext();
            Sandbox victim = fixture.builder(EngineFixture.command("sh", "-c", "echo victim $$; exec sleep 60"),
                    victimContext).startSandbox();
            long victimPid = Long.parseLong(EngineFixture.awaitLog(victimContext, "victim ",
                    Duration.ofSeconds(10)).replaceAll("(?s).*victim (\\d+).*", "$1"));

            long server = ProcessHandle.current().pid();
            TaskContext context = fixture.newContext();
            String script = "cat " + token + "; echo token=$?; cat " + store.resolve("tasks.db")
                    + "; echo store=$?; ls " + store + "; echo list=$?; "
                    + "kill -0 " + server + "; echo server=$?; kill -9 " + victimPid + "; echo victim=$?";
            ResultSet result = fixture.builder(EngineFixture.command("sh", "-c", script), context)
                    .startSandbox().waitForResult();
            String log = context.log().contentAsString();
            assertThat(log).doesNotContain("secret-token-value").doesNotContain("store-content")
                    .contains("token=1", "store=1", "list=2", "server=1", "victim=1")
                    .contains("Permission denied");
            assertThat(ProcessHandle.of(victimPid)).as("the other task's process").isPresent();
            result.dispose();
            victim.abort();
        }
    }

    /** pids.current of every task cgroup of this server (v1 pids hierarchy or v2). */
    private static List<Integer> cgroupPids(EngineFixture fixture)
            throws Exception
    {
        List<Integer> counts = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] fields = line.split(":", 3);
            Path base = fields[1].equals("pids") ? Path.of("/sys/fs/cgroup/pids" + fields[2], "taskyard")
                    : fields[1].isEmpty() ? Path.of("/sys/fs/cgroup" + fields[2], "taskyard") : null;
            if (base == null || !Files.isDirectory(base)) {
                continue;
            }
            try (Stream<Path> groups = Files.list(base)) {
                for (Path group : groups.filter(Files::isDirectory).toList()) {
                    Path current = group.resolve("pids.current");
                    if (Files.exists(current)) {
                        counts.add(Integer.parseInt(Files.readString(current).trim()));
                    }
                }
            }
        }
        return counts;
    }

    private static String passwd()
            throws Exception
    {
        return Files.readString(Path.of("/etc/passwd"));
    }
}
