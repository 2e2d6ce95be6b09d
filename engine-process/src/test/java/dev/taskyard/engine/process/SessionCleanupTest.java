package dev.taskyard.engine.process;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.process.HostProcesses.Info;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every process a task spawns dies with it: background jobs, and double-forked grandchildren reparented to init,
 * whether the task ends by itself, is aborted, killed, or its context cancelled.
 */
@Timeout(60)
class SessionCleanupTest
{
    /**
     * Starts two background sleeps: one a plain child of the task's shell, one double-forked (its parent subshell
     * exits at once, so it is reparented to init or a subreaper). Prints the shell's pid, which is the session id.
     */
    private static final String SPAWNER = "sleep 300 & (sleep 300 &); echo \"started $$\"";
    private static final Pattern STARTED = Pattern.compile("started (\\d+)");

    @Test
    void waitForResultKillsBackgroundChildrenAndOrphans()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            // the main process waits a moment so that the test can see the spawned processes alive
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", SPAWNER + "; sleep 1"),
                    context).startSandbox();
            long session = sessionOf(context);
            assertSpawnedProcessesAlive(session);
            ResultSet result = sandbox.waitForResult();
            assertThat(result.success()).isTrue();
            assertThat(HostProcesses.session(session)).as("processes of the session after waitForResult").isEmpty();
            result.dispose();
        }
    }

    @Test
    void immediateExitStillKillsOrphans()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", SPAWNER), context).startSandbox();
            ResultSet result = sandbox.waitForResult();
            long session = sessionOf(context);
            assertThat(HostProcesses.session(session)).as("processes of the session after waitForResult").isEmpty();
            assertThat(result.success()).isTrue();
            result.dispose();
        }
    }

    @Test
    void abortKillsTheWholeSession()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", SPAWNER + "; sleep 300"),
                    context).startSandbox();
            long session = sessionOf(context);
            assertSpawnedProcessesAlive(session);
            sandbox.abort();
            assertThat(HostProcesses.session(session)).as("processes of the session after abort").isEmpty();
            assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
        }
    }

    @Test
    void killKillsTheWholeSessionAndReportsTheSignal()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", SPAWNER + "; sleep 300"),
                    context).startSandbox();
            long session = sessionOf(context);
            assertSpawnedProcessesAlive(session);
            sandbox.kill();
            ResultSet result = sandbox.waitForResult();
            assertThat(HostProcesses.session(session)).as("processes of the session after kill").isEmpty();
            assertThat(result.success()).isFalse();
            assertThat(result.termination().killed()).isTrue();
            assertThat(result.termination().signal()).hasValue(9);
            assertThat(result.termination().exitCode()).isEmpty();
            result.dispose();
        }
    }

    @Test
    void cancellationKillsTheWholeSession()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", SPAWNER + "; sleep 300"),
                    context).startSandbox();
            long session = sessionOf(context);
            assertSpawnedProcessesAlive(session);
            context.cancel("test cancellation");
            assertThatThrownBy(sandbox::waitForResult).isInstanceOf(SandboxAbortedException.class);
            assertThat(HostProcesses.session(session)).as("processes of the session after cancellation").isEmpty();
            assertThat(fixture.tracker().live()).as("resources after cancellation")
                    .noneMatch(entry -> entry.contains(context.taskId()));
        }
    }

    @Test
    void deadlineKillsTheWholeSession()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext(b -> b.deadlineIn(Duration.ofSeconds(2)));
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", SPAWNER + "; sleep 300"),
                    context).startSandbox();
            long session = sessionOf(context);
            ResultSet result = sandbox.waitForResult();
            assertThat(HostProcesses.session(session)).as("processes of the session after the deadline").isEmpty();
            assertThat(result.termination().timedOut()).isTrue();
            assertThat(result.success()).isFalse();
            result.dispose();
        }
    }

    @Test
    void theMainProcessLeadsItsOwnSession()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            // $$ is the pid of the shell exec'd by setsid; the stat line names its session id
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c",
                    "read -r stat < /proc/$$/stat; echo \"pid $$ stat $stat\""), context)
                    .startSandbox();
            sandbox.waitForResult().dispose();
            Matcher matcher = Pattern.compile("pid (\\d+) stat (.*)").matcher(context.log().contentAsString());
            assertThat(matcher.find()).isTrue();
            long pid = Long.parseLong(matcher.group(1));
            String[] fields = matcher.group(2).substring(matcher.group(2).lastIndexOf(')') + 2).split(" ");
            assertThat(Long.parseLong(fields[3])).as("session id").isEqualTo(pid);
            assertThat(Long.parseLong(fields[2])).as("process group id").isEqualTo(pid);
            assertThat(pid).isNotEqualTo(ProcessHandle.current().pid());
        }
    }

    private static long sessionOf(TaskContext context)
            throws InterruptedException
    {
        Matcher matcher = STARTED.matcher(EngineFixture.awaitLog(context, "started ", Duration.ofSeconds(20)));
        assertThat(matcher.find()).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    /** The shell, its background sleep and the orphaned sleep are alive; the orphan's parent is outside the session. */
    private static void assertSpawnedProcessesAlive(long session)
            throws InterruptedException
    {
        // "started" is printed while the double-forked subshell may not have exec'd its sleep yet: wait for both
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<Info> members = HostProcesses.session(session);
        while (sleeps(members).size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
            members = HostProcesses.session(session);
        }
        Set<Long> pids = members.stream().map(Info::pid).collect(Collectors.toSet());
        assertThat(pids).as("the session leader is the task's shell").contains(session);
        List<Info> sleeps = sleeps(members);
        assertThat(sleeps).as("sleeps of session " + session + ": " + members).hasSizeGreaterThanOrEqualTo(2);
        assertThat(sleeps).as("one sleep is a child of the task's shell").anyMatch(info -> info.ppid() == session);
        assertThat(sleeps).as("one sleep was reparented out of the session (double fork)")
                .anyMatch(info -> !pids.contains(info.ppid()));
    }

    private static List<Info> sleeps(List<Info> members)
    {
        return members.stream().filter(info -> info.commandLine().equals("sleep 300")).toList();
    }
}
