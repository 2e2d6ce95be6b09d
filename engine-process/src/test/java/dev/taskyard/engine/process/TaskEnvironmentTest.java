package dev.taskyard.engine.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.taskyard.engine.Feature;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The task's environment, work dir, working folder, exit reporting and payload checks. */
@Timeout(60)
class TaskEnvironmentTest
{
    @Test
    void environmentIsCleanWithDefaults()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            SandboxBuilder builder = fixture.builder(EngineFixture.command("/usr/bin/env"), context);
            builder.setEnvironmentVariable("GREETING", "hello world");
            ResultSet result = builder.startSandbox().waitForResult();
            Map<String, String> environment = parseEnv(context.log().contentAsString());
            assertThat(environment).containsOnlyKeys("PATH", "HOME", "TMPDIR", "GREETING");
            assertThat(environment.get("PATH")).isEqualTo("/usr/local/bin:/usr/bin:/bin");
            assertThat(environment.get("GREETING")).isEqualTo("hello world");
            Path home = Path.of(environment.get("HOME"));
            assertThat(home.getParent()).isEqualTo(fixture.folder().toRealPath().resolve("process-engine"));
            assertThat(Path.of(environment.get("TMPDIR"))).isEqualTo(home.resolve(".tmp"));
            assertThat(home).isDirectory();
            assertThat(Path.of(environment.get("TMPDIR"))).isDirectory();
            result.dispose();
            assertThat(home).doesNotExist();
        }
    }

    @Test
    void builderVariablesOverrideTheDefaults()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture("{\"defaultPath\": \"/bin\"}")) {
            TaskContext context = fixture.newContext();
            SandboxBuilder builder = fixture.builder(EngineFixture.command("/usr/bin/env"), context);
            builder.setEnvironmentVariable("PATH", "/usr/bin:/bin");
            builder.setEnvironmentVariable("HOME", "/nowhere");
            builder.startSandbox().waitForResult().dispose();
            Map<String, String> environment = parseEnv(context.log().contentAsString());
            assertThat(environment).containsEntry("PATH", "/usr/bin:/bin").containsEntry("HOME", "/nowhere")
                    .containsOnlyKeys("PATH", "HOME", "TMPDIR");
        }
    }

    @Test
    void defaultPathIsUsedToFindTheCommand()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture("{\"defaultPath\": \"/nonexistent\"}")) {
            SandboxBuilder builder = fixture.builder("true");
            assertThatThrownBy(builder::startSandbox).isInstanceOf(MalformedPayloadException.class)
                    .hasMessageContaining("not found");
            assertThat(fixture.taskResources()).isEmpty();
        }
    }

    @Test
    void workingFolderIsCreatedBelowTheWorkDir()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            SandboxBuilder builder =
                    fixture.builder("{\"command\": [\"sh\", \"-c\", \"pwd -P; echo $HOME\"], \"workingFolder\": "
                    + "\"./sub//deeper/\"}", context);
            builder.startSandbox().waitForResult().dispose();
            List<String> lines = context.log().contentAsString().lines().toList();
            assertThat(Path.of(lines.get(0))).isEqualTo(Path.of(lines.get(1)).resolve("sub/deeper"));
        }
    }

    @Test
    void malformedWorkingFoldersAreRefusedByNewSandboxBuilder()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            for (String folder : List.of("/etc", "..", "sub/../../x", "a/..")) {
                String payload = "{\"command\": [\"true\"], \"workingFolder\": \"" + folder + "\"}";
                assertThatThrownBy(() -> fixture.builder(payload, fixture.newContext()))
                        .as(folder)
                        .isInstanceOf(MalformedPayloadException.class)
                        .hasMessageContaining("workingFolder");
            }
            assertThat(fixture.taskResources()).as("nothing is held for a refused payload").isEmpty();
        }
    }

    @Test
    void malformedCommandsAreRefused()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            assertThatThrownBy(() -> fixture.builder("{\"command\": []}", fixture.newContext()))
                    .isInstanceOf(MalformedPayloadException.class);
            assertThatThrownBy(() -> fixture.builder("{\"command\": [\"\"]}", fixture.newContext()))
                    .isInstanceOf(MalformedPayloadException.class);
            assertThatThrownBy(() -> fixture.builder("{\"command\": [\"echo\", \"a\\u0000b\"]}", fixture.newContext()))
                    .isInstanceOf(MalformedPayloadException.class);
            SandboxBuilder missing = fixture.builder("no-such-command-here");
            assertThatThrownBy(missing::startSandbox).isInstanceOf(MalformedPayloadException.class)
                    .hasMessageContaining("no-such-command-here");
            SandboxBuilder relative = fixture.builder("./script.sh");
            assertThatThrownBy(relative::startSandbox).isInstanceOf(MalformedPayloadException.class);
            assertThat(fixture.taskResources()).isEmpty();
            try (var entries = Files.list(fixture.folder().resolve("process-engine"))) {
                assertThat(entries.filter(entry -> !entry.getFileName().toString().equals(".taskyard-state")))
                        .as("work dirs of refused starts").isEmpty();
            }
        }
    }

    @Test
    void exitCodesAndFailures()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            ResultSet failed = fixture.builder("sh", "-c", "exit 3").startSandbox().waitForResult();
            assertThat(failed.success()).isFalse();
            assertThat(failed.termination()).isEqualTo(Termination.exited(3));
            failed.dispose();
            // exit codes above 128 are reported as they are when the engine did not kill the task
            ResultSet high = fixture.builder("sh", "-c", "exit 137").startSandbox().waitForResult();
            assertThat(high.termination()).isEqualTo(Termination.exited(137));
            high.dispose();
            ResultSet ok = fixture.builder("true").startSandbox().waitForResult();
            assertThat(ok.success()).isTrue();
            assertThat(ok.termination()).isEqualTo(Termination.exited(0));
            ok.dispose();
        }
    }

    @Test
    void stdinIsEmptyAndStderrReachesTheLog()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            TaskContext context = fixture.newContext();
            fixture.builder(EngineFixture.command("sh", "-c", "cat; echo out; echo err >&2; printf tail"), context)
                    .startSandbox().waitForResult().dispose();
            assertThat(context.log().contentAsString()).isEqualTo("out\nerr\ntail");
        }
    }

    @Test
    void capabilities()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture("{\"maxConcurrency\": 3}")) {
            assertThat(fixture.engine().capabilities().maxConcurrency()).isEqualTo(3);
            assertThat(fixture.engine().capabilities().features())
                    .containsExactlyInAnyOrder(Feature.ENVIRONMENT_VARIABLES, Feature.ARTIFACTS, Feature.SHELLS);
        }
    }

    @Test
    void workDirsAreKeptWhenConfigured()
            throws Exception
    {
        Path root = EngineFixture.tmpdir().resolve("kept-" + System.nanoTime());
        try (EngineFixture fixture = new EngineFixture("{\"rootFolder\": \"" + root + "\", \"keepWorkDirs\": true}")) {
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", "echo kept > file.txt; pwd -P"),
                    context).startSandbox();
            sandbox.waitForResult().dispose();
            Path workDir = Path.of(context.log().contentAsString().strip());
            assertThat(workDir.getParent()).isEqualTo(root.toRealPath());
            assertThat(workDir.resolve("file.txt")).hasContent("kept");
            TaskContext aborted = fixture.newContext();
            Sandbox running = fixture.builder(EngineFixture.command("sh", "-c", "pwd -P; exec sleep 60"),
                    aborted).startSandbox();
            EngineFixture.awaitLog(aborted, "/", java.time.Duration.ofSeconds(20));
            running.abort();
            assertThat(Path.of(aborted.log().contentAsString().strip())).isDirectory();
        }
        assertThat(root).as("a configured root folder survives the engine").isDirectory();
        EngineFixture.deleteTree(root);
    }

    @Test
    void workDirIsRemovedOnAbortAndDiscard()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            Path root = fixture.folder().resolve("process-engine");
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c", "pwd -P; exec sleep 60"),
                    context).startSandbox();
            EngineFixture.awaitLog(context, "/", java.time.Duration.ofSeconds(20));
            Path workDir = Path.of(context.log().contentAsString().strip());
            assertThat(workDir).isDirectory();
            sandbox.abort();
            assertThat(workDir).doesNotExist();
            fixture.builder("true").discard();
            try (var entries = Files.list(root)) {
                assertThat(entries.filter(entry -> !entry.getFileName().toString().equals(".taskyard-state")))
                        .as("work dirs").isEmpty();
            }
            try (var states = Files.list(root.resolve(".taskyard-state"))) {
                assertThat(states).as("state files of discarded work dirs").isEmpty();
            }
        }
    }

    @Test
    void workDirWithLockedFoldersAndLinksIsRemoved()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            Path outside = Files.createTempDirectory(fixture.folder(), "outside-");
            Files.writeString(outside.resolve("keep.txt"), "must survive");
            TaskContext context = fixture.newContext();
            String script = "mkdir -p locked/inner .tmp/t && touch locked/inner/f .tmp/t/f && ln -s \"$1\" link-out"
                    + " && chmod 000 locked/inner && chmod 500 locked && pwd -P";
            fixture.builder(EngineFixture.command("sh", "-c", script, "sh", outside.toString()), context).startSandbox()
                    .waitForResult().dispose();
            Path workDir = Path.of(context.log().contentAsString().strip());
            assertThat(workDir).doesNotExist();
            assertThat(outside.resolve("keep.txt")).as("links are removed, not followed").hasContent("must survive");
        }
    }

    private static Map<String, String> parseEnv(String log)
    {
        return Arrays.stream(log.split("\n"))
                .filter(line -> line.contains("="))
                .collect(Collectors.toMap(line -> line.substring(0, line.indexOf('=')),
                        line -> line.substring(line.indexOf('=') + 1)));
    }
}
