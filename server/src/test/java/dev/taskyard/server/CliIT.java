package dev.taskyard.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** End-to-end tests of the real CLI: the shaded jar, started as a separate process. */
class CliIT
{
    record Outcome(int exitCode, String stdout, String stderr) {}

    private static Outcome taskyard(String... args)
            throws Exception
    {
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        assertThat(jar).exists();
        Path tmp = Files.createTempDirectory("cli-it-tmp");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Djava.io.tmpdir=" + tmp, "-jar", jar.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        CompletableFuture<String> stdout = read(process.getInputStream());
        CompletableFuture<String> stderr = read(process.getErrorStream());
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("taskyard " + String.join(" ", args) + " did not end within 120 s");
        }
        Outcome outcome = new Outcome(process.exitValue(), stdout.get(10, TimeUnit.SECONDS),
                stderr.get(10, TimeUnit.SECONDS));
        try (var left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString()).toList())
                    .as("temp folders left by taskyard " + String.join(" ", args)).isEmpty();
        }
        Files.delete(tmp);
        return outcome;
    }

    private static CompletableFuture<String> read(java.io.InputStream in)
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
    void runStreamsTheLogAndExitsWithTheTaskExitCode()
            throws Exception
    {
        Outcome outcome = taskyard("run", "--", "sh", "-c",
                "echo hello; echo to-stderr >&2; printf 'last line without newline'; exit 3");
        assertThat(outcome.exitCode()).isEqualTo(3);
        assertThat(outcome.stdout()).contains("hello\n").contains("to-stderr\n").endsWith("last line without newline");
    }

    @Test
    void runPassesEnvironmentVariables()
            throws Exception
    {
        Outcome outcome = taskyard("run", "-e", "GREETING=hi there", "--", "sh", "-c", "echo \"$GREETING\"");
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.stdout()).isEqualTo("hi there\n");
    }

    @Test
    void runKillsATaskPastItsTimeout()
            throws Exception
    {
        Outcome outcome = taskyard("run", "--timeout", "1", "--", "sh", "-c", "echo started; sleep 60");
        assertThat(outcome.exitCode()).isEqualTo(124);
        assertThat(outcome.stdout()).contains("started");
        assertThat(outcome.stderr()).contains("taskyard: the task ran past its timeout of 1 s and was killed");
    }

    @Test
    void invalidPayloadIsOneClearLinePerViolation()
            throws Exception
    {
        Outcome outcome = taskyard("run", "--payload", "{\"command\":[],\"bogus\":1}");
        assertThat(outcome.exitCode()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(outcome.stderr()).contains("taskyard: invalid payload: $.command").contains("bogus");
        assertThat(outcome.stdout()).isEmpty();
    }

    @Test
    void unknownEngineAndMissingCommandAreClearErrors()
            throws Exception
    {
        Outcome unknown = taskyard("run", "--engine", "nope", "--", "true");
        assertThat(unknown.exitCode()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(unknown.stderr()).startsWith("taskyard: no engine named \"nope\"");
        Outcome missing = taskyard("run");
        assertThat(missing.exitCode()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(missing.stderr()).startsWith("taskyard: no command given");
        Outcome usage = taskyard("run", "--timeout", "soon", "--", "true");
        assertThat(usage.exitCode()).isEqualTo(2);
    }

    @Test
    void enginesListsTheProcessEngineWithItsVersion()
            throws Exception
    {
        Outcome outcome = taskyard("engines");
        assertThat(outcome.exitCode()).isZero();
        assertThat(outcome.stdout()).containsPattern("engine process +0\\.1\\.0-SNAPSHOT");
        assertThat(outcome.stdout()).containsPattern("plugin env +0\\.1\\.0-SNAPSHOT")
                .containsPattern("plugin success ");
    }

    @Test
    void runsARawPayloadOnTheMockEngine()
            throws Exception
    {
        Outcome outcome = taskyard("run", "--engine", "mock", "--payload",
                "{\"delay\":0,\"function\":\"write-error-log\",\"argument\":\"from the mock\"}");
        assertThat(outcome.exitCode()).isEqualTo(1);
        assertThat(outcome.stdout()).isEqualTo("from the mock\n");
    }

    @Test
    void helpAndVersion()
            throws Exception
    {
        assertThat(taskyard("--help").stdout()).contains("run").contains("engines");
        assertThat(taskyard("run", "--help").stdout()).contains("--timeout").contains("--env");
        assertThat(taskyard("--version").stdout()).contains("taskyard 0.1.0-SNAPSHOT");
        assertThat(Files.exists(Path.of("target/taskyard.jar"))).isTrue();
    }
}
