package dev.taskyard.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The client commands of the real CLI ({@code submit}, {@code status}, {@code cancel}, {@code logs}, {@code schema})
 * against a real server. */
class ClientCliIT
{
    @TempDir
    static Path temp;
    static TaskyardServer server;

    record Outcome(int exitCode, String stdout, String stderr) {}

    @BeforeAll
    static void start()
            throws Exception
    {
        server = TaskyardServer.start(temp.resolve("data"));
    }

    @AfterAll
    static void stop()
            throws Exception
    {
        if (server != null) {
            server.close();
        }
    }

    private static Outcome taskyard(boolean connect, String... args)
            throws Exception
    {
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-jar", jar.toString()));
        command.add(args[0]);
        if (connect) {
            command.addAll(List.of("--server", server.baseUrl, "--token", server.token));
        }
        command.addAll(List.of(args).subList(1, args.length));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        CompletableFuture<String> out = read(process.getInputStream());
        CompletableFuture<String> err = read(process.getErrorStream());
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("taskyard " + String.join(" ", args) + " did not end within 120 s");
        }
        return new Outcome(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static CompletableFuture<String> read(InputStream in)
    {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void submitFollowStreamsTheLogAndExitsWithTheOutcome()
            throws Exception
    {
        Outcome ok = taskyard(true, "submit", "--follow", "--", "sh", "-c", "echo hello from serve; echo bye");
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.stdout()).contains("hello from serve\nbye\n");
        assertThat(ok.stderr()).contains("COMPLETED");
        Outcome failed = taskyard(true, "submit", "--wait", "--", "false");
        assertThat(failed.exitCode()).isEqualTo(1);
        assertThat(failed.stdout()).contains("\"FAILED\"");
        Outcome exited = taskyard(true, "submit", "--wait", "--", "sh", "-c", "exit 7");
        assertThat(exited.exitCode()).as("the task's own exit code").isEqualTo(7);
        assertThat(exited.stdout()).contains("\"exit_code\" : 7");
    }

    @Test
    void statusCancelAndLogs()
            throws Exception
    {
        Outcome submitted = taskyard(true, "submit", "--", "sleep", "600");
        assertThat(submitted.exitCode()).as(submitted.stderr()).isZero();
        String id = submitted.stdout().trim();
        assertThat(taskyard(true, "status", id).stdout()).contains(id);
        Outcome cancel = taskyard(true, "cancel", id);
        assertThat(cancel.exitCode()).isZero();
        assertThat(cancel.stdout()).contains("CANCELED");
        assertThat(taskyard(true, "logs", id).exitCode()).isZero();
    }

    @Test
    void errorsAreOneClearLine()
            throws Exception
    {
        Outcome unknown = taskyard(true, "status", "no-such-task");
        assertThat(unknown.exitCode()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(unknown.stderr()).isEqualTo("taskyard: 404 Not Found: no task no-such-task\n");
        Outcome odd = taskyard(true, "status", "a b/c%?d#+e");
        assertThat(odd.stderr()).as("the id is encoded on the way and decoded once")
                .isEqualTo("taskyard: 404 Not Found: no task a b/c%?d#+e\n");
        Outcome invalid = taskyard(true, "submit", "--payload", "{\"command\":\"x\"}");
        assertThat(invalid.exitCode()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(invalid.stderr()).startsWith("taskyard: 400 Bad Request: ").contains("$.command").hasLineCount(1);
        Outcome refused = taskyard(false, "status", "--server", "http://127.0.0.1:1", "--token", "t", "x");
        assertThat(refused.exitCode()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(refused.stderr())
                .isEqualTo("taskyard: cannot reach http://127.0.0.1:1: connection refused (is taskyard serve "
                + "running?)\n");
        Outcome badToken = taskyard(false, "status", "--server", server.baseUrl, "--token", "wrong", "x");
        assertThat(badToken.stderr()).isEqualTo("taskyard: 401 Unauthorized: the bearer token is not valid\n");
    }

    @Test
    void schemasAndHelp()
            throws Exception
    {
        Outcome payload = taskyard(false, "schema", "payload");
        assertThat(payload.exitCode()).isZero();
        assertThat(payload.stdout()).contains("\"command\"").contains("\"env\"").contains("\"result\"");
        Outcome config = taskyard(false, "schema", "config");
        assertThat(config.exitCode()).isZero();
        assertThat(config.stdout()).contains("\"plugins\"");
        for (String command : List.of("serve", "submit", "status", "cancel", "logs", "schema")) {
            Outcome help = taskyard(false, command, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.stdout()).startsWith("Usage: taskyard " + command);
        }
        assertThat(taskyard(false, "--help").stdout()).contains("serve").contains("submit").contains("schema");
    }
}
