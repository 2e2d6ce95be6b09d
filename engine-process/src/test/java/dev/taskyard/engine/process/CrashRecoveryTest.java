package dev.taskyard.engine.process;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM running a process engine is killed with SIGKILL: its task's processes survive as orphans (nobody is left to
 * kill them) until the next engine starts on the same root folder, which kills them and removes the work dir. An
 * engine of a live JVM on the same root is left alone.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CrashRecoveryTest
{
    @Test
    void theNextEngineOnTheRootKillsWhatACrashedOneLeftRunning()
            throws Exception
    {
        Path root = EngineFixture.tmpdir().resolve("crash-" + System.nanoTime());
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashedEngineChild.class.getName(), root.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        long session;
        Path workDir;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String started = out.readLine();
            String dir = out.readLine();
            assertThat(started).startsWith("started ");
            assertThat(dir).startsWith("workdir ");
            session = Long.parseLong(started.substring("started ".length()));
            workDir = Path.of(dir.substring("workdir ".length()));
        }
        finally {
            child.toHandle().destroyForcibly();
            assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
        try {
            // nobody killed the task: the shell and both background sleeps run on as orphans
            assertThat(HostProcesses.session(session)).as("orphans of the killed engine").hasSize(3);
            assertThat(workDir).isDirectory();

            // an engine in this (live) JVM on the same root: its work dir must survive the next engine's start
            try (EngineFixture live = new EngineFixture("{\"rootFolder\": \"" + root + "\"}")) {
                TaskContext context = live.newContext();
                Sandbox running = live.builder(EngineFixture.command("sh", "-c",
                        "echo \"started $$\"; pwd -P; exec sleep 300"), context).startSandbox();
                String log = EngineFixture.awaitLog(context, "\n/", Duration.ofSeconds(30));
                long liveSession = Long.parseLong(log.lines().findFirst().orElseThrow().substring("started ".length()));

                try (EngineFixture next = new EngineFixture("{\"rootFolder\": \"" + root + "\"}")) {
                    assertThat(HostProcesses.session(session)).as("processes of the crashed engine's task").isEmpty();
                    assertThat(workDir).doesNotExist();
                    assertThat(HostProcesses.session(liveSession)).as("the live engine's task").isNotEmpty();
                }
                running.abort();
            }
            try (var states = Files.list(root.resolve(".taskyard-state"))) {
                assertThat(states.toList()).as("state files left").isEqualTo(List.of());
            }
        }
        finally {
            for (HostProcesses.Info orphan : HostProcesses.session(session)) {
                ProcessHandle.of(orphan.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
            EngineFixture.deleteTree(root);
        }
    }
}
