package dev.taskyard.engine.docker;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the kit cannot see: daemon errors, the hardening of the container, the OOM flag, TTY shells, links. */
@RequiresDocker
@Timeout(120)
class DockerEngineBehaviorTest
{
    private final ResourceTracker tracker = new ResourceTracker();
    private final List<TaskContext> contexts = new java.util.ArrayList<>();
    private Engine engine;

    @BeforeEach
    void createEngine()
            throws Exception
    {
        engine = TestEngines.create(TestEngines.config().put("maxCpus", 1).put("defaultCpus",
                0.5).put("defaultMemoryMiB", 64).put("defaultPids", 50), "behavior-test", tracker);
    }

    @AfterEach
    void disposeEngine()
            throws Exception
    {
        engine.dispose();
        contexts.forEach(TaskContext::dispose);
        assertThat(tracker.live()).isEmpty();
        assertThat(TestDaemon.containers(TestDaemon.TEST_WORKER_GROUP))
                .filteredOn(c -> "behavior-test".equals(c.getLabels().get(DockerLabels.WORKER_ID)))
                .isEmpty();
    }

    private SandboxBuilder builder(ObjectNode payload)
            throws Exception
    {
        TaskContext context = TaskContext.builder().build();
        contexts.add(context);
        return engine.newSandboxBuilder(TestEngines.options(engine, payload, context));
    }

    private ResultSet run(ObjectNode payload)
            throws Exception
    {
        return builder(payload).startSandbox().waitForResult();
    }

    @Test
    void missingImageIsMalformedWithTheDaemonsReason()
            throws Exception
    {
        SandboxBuilder builder = builder(TestEngines.payload("taskyard-test/no-such-image:missing", "true"));
        assertThatThrownBy(builder::startSandbox)
                .isInstanceOfSatisfying(MalformedPayloadException.class, e -> assertThat(e.getMessage())
                        .contains("cannot pull image taskyard-test/no-such-image:missing")
                        // the daemon's own words: no registry is reachable here, or the repository does not exist
                        .containsAnyOf("registry", "repository", "not found", "denied", "no such host"));
        assertThat(contexts.get(0).log().contentAsString())
                .contains("[taskyard] image taskyard-test/no-such-image:missing is not present; pulling it");
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void commandThatCannotRunFailsTheTaskUnderInitAndIsMalformedWithout()
            throws Exception
    {
        // under the init process the container starts, and init reports the failed exec as exit code 127
        ResultSet result = run(TestEngines.payload(TestDaemon.image(), "/no/such/program"));
        assertThat(result.termination().exitCode()).hasValue(127);
        assertThat(contexts.get(0).log().contentAsString()).contains("/no/such/program");
        result.dispose();

        engine.dispose();
        engine = TestEngines.create(TestEngines.config().put("init", false), "behavior-test", tracker);
        SandboxBuilder builder = builder(TestEngines.payload(TestDaemon.image(), "/no/such/program"));
        assertThatThrownBy(builder::startSandbox)
                .isInstanceOfSatisfying(MalformedPayloadException.class,
                        e -> assertThat(e.getMessage()).contains("no such file or directory"));
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void containerIsHardenedLabelledAndLimited()
            throws Exception
    {
        SandboxBuilder builder =
                builder(TestEngines.payload(TestDaemon.image(), "sleep", "30").put("memoryMiB", 32).put("pids", 20));
        Sandbox sandbox = builder.startSandbox();
        TaskContext context = contexts.get(0);
        List<Container> found =
                TestDaemon.client().listContainersCmd()
                .withLabelFilter(Map.of(DockerLabels.TASK_ID, context.taskId())).exec();
        assertThat(found).hasSize(1);
        assertThat(found.get(0).getLabels()).containsEntry(DockerLabels.ENGINE, "docker")
                .containsEntry(DockerLabels.WORKER_GROUP, TestDaemon.TEST_WORKER_GROUP)
                .containsEntry(DockerLabels.WORKER_ID, "behavior-test")
                .containsEntry(DockerLabels.RUN_ID, context.runId());
        InspectContainerResponse inspected = TestDaemon.client().inspectContainerCmd(found.get(0).getId()).exec();
        HostConfig host = inspected.getHostConfig();
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertThat(inspected.getConfig().getNetworkDisabled()).isTrue();
        assertThat(host.getInit()).isTrue();
        assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
        assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(host.getPrivileged()).isFalse();
        assertThat(host.getNanoCPUs()).isEqualTo(500_000_000L);
        assertThat(host.getMemory()).isEqualTo(32L * 1024 * 1024);
        assertThat(host.getMemorySwap()).isEqualTo(32L * 1024 * 1024);
        assertThat(host.getPidsLimit()).isEqualTo(20L);
        sandbox.abort();
        assertThat(TestDaemon.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerLabels.TASK_ID, context.taskId())).exec()).isEmpty();
    }

    @Test
    void outOfMemoryIsReported()
            throws Exception
    {
        ResultSet result = run(TestEngines.payload(TestDaemon.image(), "dd", "if=/dev/zero", "of=/dev/null", "bs=128M",
                "count=1").put("memoryMiB", 16));
        assertThat(result.success()).isFalse();
        assertThat(result.termination().outOfMemory()).as("termination %s", result.termination()).isTrue();
        assertThat(result.termination().killed()).isFalse();
        result.dispose();
    }

    @Test
    void exitCodeAndKillAreReportedApart()
            throws Exception
    {
        ResultSet exited = run(TestEngines.payload(TestDaemon.image(), "sh", "-c", "exit 137"));
        assertThat(exited.termination().exitCode()).hasValue(137);
        assertThat(exited.termination().killed()).isFalse();
        exited.dispose();

        Sandbox sandbox = builder(TestEngines.payload(TestDaemon.image(), "sleep", "30")).startSandbox();
        sandbox.kill();
        ResultSet killed = sandbox.waitForResult();
        assertThat(killed.termination().killed()).isTrue();
        assertThat(killed.termination().signal()).hasValue(9);
        assertThat(killed.termination().exitCode()).isEmpty();
        killed.dispose();
    }

    @Test
    void ttyShellCanResizeAndPlainShellCannot()
            throws Exception
    {
        Sandbox sandbox = builder(TestEngines.payload(TestDaemon.image(), "sleep", "30")).startSandbox();
        Shell plain = sandbox.newShell(List.of("sleep", "30"), false);
        assertThatThrownBy(() -> plain.resize(100, 40)).isInstanceOf(FeatureNotSupportedException.class);
        Shell tty = sandbox.newShell(List.of(), true);
        tty.resize(132, 43);
        try (var stdin = tty.stdin()) {
            stdin.write("stty size 2>/dev/null || echo no-stty; exit 0\n".getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(tty.stdout().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tty.waitFor()).as("tty output: %s", output).isTrue();
        plain.abort();
        sandbox.abort();
    }

    @Test
    void foldersHandOutRegularFilesAndHardLinksButNoSymbolicLinks()
            throws Exception
    {
        ResultSet result = run(TestEngines.payload(TestDaemon.image(), "sh", "-c",
                "mkdir -p /out/sub && echo data > /out/file.txt && ln /out/file.txt /out/sub/hard.txt && ln -s "
                        + "/etc/passwd /out/escape && ln -s ../.. /out/up"));
        assertThat(result.success()).isTrue();
        Map<String, String> files = new ConcurrentHashMap<>();
        result.extractFolder("/out",
                (path, in) -> files.put(path, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        assertThat(files).containsOnly(Map.entry("file.txt", "data\n"), Map.entry("sub/hard.txt", "data\n"));
        assertThatThrownBy(() -> result.extractFile("/out/escape")).isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> result.extractFile("/out")).isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> result.extractFolder("/out/file.txt", (path, in) -> {}))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> result.extractFile("/out/../etc/passwd"))
                .isInstanceOf(MalformedPayloadException.class);
        try (InputStream in = result.extractFile("/out/sub/hard.txt")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("data\n");
        }
        result.dispose();
    }

    @Test
    void volumeDisposedWhileAResultSetHoldsItGoesWithTheContainer()
            throws Exception
    {
        var volume = engine.newVolume(TestEngines.MAPPER.createObjectNode());
        SandboxBuilder builder = builder(TestEngines.payload(TestDaemon.image(), "sh", "-c", "echo kept > /data/file"));
        builder.attachVolume("/data", volume, false);
        ResultSet result = builder.startSandbox().waitForResult();
        assertThat(result.success()).isTrue();
        volume.dispose();
        assertThat(TestDaemon.volumes(TestDaemon.TEST_WORKER_GROUP))
                .as("the volume stays while the result set holds it").isNotEmpty();
        try (InputStream in = result.extractFile("/data/file")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("kept\n");
        }
        result.dispose();
        assertThat(TestDaemon.volumes(TestDaemon.TEST_WORKER_GROUP)).isEmpty();
    }

    @Test
    void mountPointsMustBeNormalisedAbsolutePaths()
            throws Exception
    {
        var volume = engine.newVolume(TestEngines.MAPPER.createObjectNode());
        try {
            SandboxBuilder builder = builder(TestEngines.payload(TestDaemon.image(), "true"));
            for (String bad : Set.of("relative", "/", "/a/../b", "/a/", "/a//b", "/with space")) {
                assertThatThrownBy(() -> builder.attachVolume(bad, volume, false)).as(bad)
                        .isInstanceOf(MalformedPayloadException.class);
            }
            builder.discard();
        }
        finally {
            volume.dispose();
        }
    }
    @Test
    void userAndWorkdirComeFromThePayload()
            throws Exception
    {
        ResultSet result = run(TestEngines.payload(TestDaemon.image(), "sh", "-c",
                "echo \"uid=$(id -u) cwd=$(pwd)\"").put("user", "nobody").put("workdir", "/tmp"));
        assertThat(result.success()).isTrue();
        assertThat(contexts.get(0).log().contentAsString()).contains("uid=65534 cwd=/tmp");
        result.dispose();
    }

    @Test
    void readOnlyRootFilesystemStillWritesToVolumes()
            throws Exception
    {
        engine.dispose();
        engine = TestEngines.create(TestEngines.config().put("readOnlyRootFilesystem", true), "behavior-test", tracker);
        var volume = engine.newVolume(TestEngines.MAPPER.createObjectNode());
        try {
            ResultSet root = run(TestEngines.payload(TestDaemon.image(), "touch", "/tmp/x"));
            assertThat(root.success()).as("a write to the read-only root").isFalse();
            root.dispose();
            SandboxBuilder builder = builder(TestEngines.payload(TestDaemon.image(), "touch", "/data/x"));
            builder.attachVolume("/data", volume, false);
            ResultSet mounted = builder.startSandbox().waitForResult();
            assertThat(mounted.success()).as("a write to a volume").isTrue();
            mounted.dispose();
        }
        finally {
            volume.dispose();
        }
    }

    @Test
    void disposingTheEngineRemovesWhatIsStillLive()
            throws Exception
    {
        Sandbox sandbox = builder(TestEngines.payload(TestDaemon.image(), "sleep", "30")).startSandbox();
        engine.newVolume(TestEngines.MAPPER.createObjectNode());
        assertThat(tracker.live()).hasSize(3);
        engine.dispose();
        assertThat(tracker.live()).isEmpty();
        assertThat(TestDaemon.volumes(TestDaemon.TEST_WORKER_GROUP)).isEmpty();
        Object outcome = org.assertj.core.api.Assertions.catchThrowable(() ->
                assertThat(sandbox.waitForResult().success()).isFalse());
        assertThat(outcome).as("a sandbox whose container the disposal removed fails or reports a failed result")
                .satisfiesAnyOf(
                error -> assertThat(error).isNull(),
                error -> assertThat(error).isInstanceOf(dev.taskyard.engine.NonFatalInternalErrorException.class));
    }

    @Test
    void cancellationBeforeTheStartReleasesTheSlot()
            throws Exception
    {
        TaskContext context = TaskContext.builder().build();
        contexts.add(context);
        SandboxBuilder builder =
                engine.newSandboxBuilder(TestEngines.options(engine,
                TestEngines.payload(TestDaemon.image(), "sleep", "30"), context));
        context.cancel("test cancellation");
        assertThatThrownBy(builder::startSandbox).isInstanceOf(dev.taskyard.engine.TaskCanceledException.class);
        assertThat(tracker.live()).isEmpty();
    }
}
