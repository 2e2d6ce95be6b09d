package dev.taskyard.engine.process;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.ShellAbortedException;
import dev.taskyard.engine.ShellTerminatedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Shells: environment and folder of the task, own session killed on abort, no TTY. */
@Timeout(60)
class ShellTest
{
    @Test
    void shellRunsInTheTaskFolderWithTheTaskEnvironment()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            var builder = fixture.builder(EngineFixture.payload("{\"command\": [\"sleep\", \"60\"], "
                    + "\"workingFolder\": \"sub\"}"), fixture.newContext());
            builder.setEnvironmentVariable("SHELL_VARIABLE", "from the builder");
            Sandbox sandbox = builder.startSandbox();
            Shell shell = sandbox.newShell(List.of(), false);
            CompletableFuture<String> stdout = drain(shell.stdout());
            CompletableFuture<String> stderr = drain(shell.stderr());
            write(shell, "echo \"$SHELL_VARIABLE\"; pwd -P; echo \"$HOME\"; echo oops >&2\n");
            assertThat(shell.waitFor()).isTrue();
            List<String> lines = stdout.get(10, TimeUnit.SECONDS).lines().toList();
            assertThat(lines.get(0)).isEqualTo("from the builder");
            assertThat(lines.get(1)).isEqualTo(lines.get(2) + "/sub");
            assertThat(stderr.get(10, TimeUnit.SECONDS)).isEqualTo("oops\n");
            assertThatThrownBy(shell::abort).isInstanceOf(ShellTerminatedException.class);
            sandbox.abort();
        }
    }

    @Test
    void abortKillsTheShellsWholeSession()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            Sandbox sandbox = fixture.builder("sleep", "60").startSandbox();
            Shell shell = sandbox.newShell(List.of("sh", "-c",
                    "sleep 300 & (sleep 300 &); echo \"started $$\"; sleep 300"), false);
            CompletableFuture<String> stderr = drain(shell.stderr());
            InputStream stdout = shell.stdout();
            long session = readSession(stdout);
            assertThat(HostProcesses.session(session)).hasSizeGreaterThanOrEqualTo(3);
            shell.abort();
            shell.abort();
            assertThatThrownBy(shell::waitFor).isInstanceOf(ShellAbortedException.class);
            // abort sends SIGKILL without waiting: the processes go once the kernel has torn them down
            assertThat(awaitSessionGone(session, Duration.ofSeconds(10)))
                    .as("live processes of session " + session).isEmpty();
            stdout.readAllBytes();
            stderr.get(10, TimeUnit.SECONDS);
            sandbox.abort();
        }
    }

    @Test
    void resolvingTheSandboxAbortsItsShells()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            Sandbox sandbox = fixture.builder("sleep", "60").startSandbox();
            Shell shell = sandbox.newShell(List.of("sh", "-c", "echo \"started $$\"; sleep 300"), false);
            long session = readSession(shell.stdout());
            sandbox.abort();
            assertThatThrownBy(shell::waitFor).isInstanceOf(ShellAbortedException.class);
            assertThat(HostProcesses.session(session)).isEmpty();
            assertThatThrownBy(() -> sandbox.newShell(List.of(), false)).isInstanceOf(SandboxAbortedException.class);
        }
    }

    @Test
    void ttyAndUnknownCommandsAreRefused()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            Sandbox sandbox = fixture.builder("sleep", "60").startSandbox();
            assertThatThrownBy(() -> sandbox.newShell(List.of(), true))
                    .isInstanceOf(FeatureNotSupportedException.class);
            assertThatThrownBy(() -> sandbox.newShell(List.of("no-such-shell"), false))
                    .isInstanceOf(MalformedPayloadException.class);
            Shell shell = sandbox.newShell(List.of(), false);
            assertThatThrownBy(() -> shell.resize(80, 24)).isInstanceOf(FeatureNotSupportedException.class);
            shell.stdin().close();
            drain(shell.stdout());
            drain(shell.stderr());
            assertThat(shell.waitFor()).isTrue();
            sandbox.abort();
        }
    }

    private static List<HostProcesses.Info> awaitSessionGone(long session, Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<HostProcesses.Info> live = HostProcesses.session(session);
        while (!live.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            live = HostProcesses.session(session);
        }
        return live;
    }

    private static long readSession(InputStream stdout)
            throws Exception
    {
        StringBuilder line = new StringBuilder();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int b;
        while (System.nanoTime() < deadline && (b = stdout.read()) >= 0 && b != '\n') {
            line.append((char) b);
        }
        Matcher matcher = Pattern.compile("started (\\d+)").matcher(line);
        assertThat(matcher.find()).as("first line: " + line).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    private static CompletableFuture<String> drain(InputStream in)
    {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (Exception e) {
                return "<" + e + ">";
            }
        });
    }

    private static void write(Shell shell, String input)
            throws Exception
    {
        try (OutputStream stdin = shell.stdin()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
    }
}
