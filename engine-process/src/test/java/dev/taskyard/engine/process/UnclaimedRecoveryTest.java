package dev.taskyard.engine.process;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM running a process engine with {@code "recovery": true} is SIGKILLed with two tasks running. The next engine on
 * the root keeps both at its start (the worker has not said yet which it recovers); {@code retainRecoverable} with the
 * handle of one of them then kills the other's session and removes its work dir and supervisor state, while the
 * claimed one still runs and is recovered.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class UnclaimedRecoveryTest
{
    @Test
    void tasksNoStoredRunClaimsAreRemovedOnceTheWorkerSaysWhichItRecovers()
            throws Exception
    {
        Path root = EngineFixture.tmpdir().resolve("unclaimed-" + System.nanoTime());
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                RecoverableCrashedEngineChild.class.getName(), root.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        List<SandboxHandle> handles = new ArrayList<>();
        List<Path> workDirs = new ArrayList<>();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (int i = 0; i < 2; i++) {
                String handle = out.readLine();
                String dir = out.readLine();
                assertThat(handle).startsWith("handle ");
                assertThat(dir).startsWith("workdir ");
                handles.add(new SandboxHandle("process", handle.substring("handle ".length())));
                workDirs.add(Path.of(dir.substring("workdir ".length())));
            }
        }
        finally {
            child.toHandle().destroyForcibly();
            assertThat(child.waitFor(1, TimeUnit.MINUTES)).isTrue();
        }
        long claimedSession = session(handles.get(0));
        long unclaimedSession = session(handles.get(1));
        Path recoveryRoot = root.resolve(".taskyard-recovery");
        try (EngineFixture next = new EngineFixture("{\"rootFolder\": \"" + root + "\", \"recovery\": true}")) {
            assertThat(HostProcesses.session(claimedSession)).as("the claimed task at the engine's start").isNotEmpty();
            assertThat(HostProcesses.session(unclaimedSession)).as("the unclaimed task at the engine's start")
                    .isNotEmpty();
            assertThat(workDirs).allMatch(Files::isDirectory);

            next.engine().retainRecoverable(List.of(handles.get(0), new SandboxHandle("docker", "{}")));

            assertThat(HostProcesses.session(unclaimedSession)).as("the unclaimed task's processes").isEmpty();
            assertThat(workDirs.get(1)).doesNotExist();
            assertThat(recoveryRoot.resolve(workDirs.get(1).getFileName().toString())).doesNotExist();
            assertThat(HostProcesses.session(claimedSession)).as("the claimed task's processes").isNotEmpty();
            assertThat(workDirs.get(0)).isDirectory();

            TaskContext context = next.newContext();
            Sandbox recovered = next.engine().recoverSandbox(new RecoveryOptions(handles.get(0), context, 0));
            EngineFixture.awaitLog(context, "ready\n", Duration.ofSeconds(30));
            recovered.abort();
            assertThat(HostProcesses.session(claimedSession)).as("the recovered task after its abort").isEmpty();
        }
        finally {
            for (long session : new long[] {claimedSession, unclaimedSession}) {
                for (HostProcesses.Info orphan : HostProcesses.session(session)) {
                    ProcessHandle.of(orphan.pid()).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        try (Stream<Path> states = Files.list(root.resolve(".taskyard-state"));
                Stream<Path> recovery = Files.list(recoveryRoot)) {
            assertThat(states.toList()).as("state files left").isEmpty();
            assertThat(recovery.toList()).as("supervisor state left").isEmpty();
        }
        finally {
            EngineFixture.deleteTree(root);
        }
    }

    private static long session(SandboxHandle handle)
            throws Exception
    {
        return EngineFixture.json(handle.data()).path("session").asLong();
    }
}
