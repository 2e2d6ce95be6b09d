package dev.taskyard.engine.docker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Recovery beyond the kit: containers a crashed worker left (made here directly, named and labelled as the engine
 * names and labels its own) are kept by a new engine of that worker while stored leases claim them
 * ({@link Engine#retainRecoverable}) and recovered with the log from the stored offset, while unclaimed ones are
 * removed; foreign containers are refused; {@code "recovery": false} turns it all off.
 */
@RequiresDocker
@Timeout(120)
class DockerRecoveryTest
{
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final DockerClient docker = TestDaemon.client();
    private final String worker = "recovery-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> cleanup = new ArrayList<>();

    @AfterEach
    void removeFixtures()
    {
        for (String container : cleanup) {
            try {
                docker.removeContainerCmd(container).withForce(true).exec();
            }
            catch (NotFoundException ignored) {
                // removed by the engine or its reconciler
            }
        }
    }

    /** A running container as an engine of {@code workerId} makes it, and its handle. */
    private SandboxHandle crashedWorkersContainer(String workerId, String script)
    {
        return crashedWorkersContainer(workerId, script, true);
    }

    private SandboxHandle crashedWorkersContainer(String workerId, String script, boolean start)
    {
        String name = "taskyard-" + UUID.randomUUID();
        String id = docker.createContainerCmd(TestDaemon.image())
                .withName(name)
                .withCmd("sh", "-c", script)
                .withLabels(Map.of(DockerLabels.ENGINE, "docker", DockerLabels.WORKER_GROUP,
                        TestDaemon.TEST_WORKER_GROUP, DockerLabels.WORKER_ID, workerId, DockerLabels.TASK_ID,
                        "crashed-task", DockerLabels.RUN_ID, "0"))
                .withNetworkDisabled(true)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                .exec()
                .getId();
        cleanup.add(id);
        if (start) {
            docker.startContainerCmd(id).exec();
        }
        return new SandboxHandle("docker", "{\"name\":\"" + name + "\"}");
    }

    private static String id(SandboxHandle handle)
    {
        return handle.data().replaceAll(".*\"name\":\"([0-9a-z-]+)\".*", "$1");
    }

    private boolean exists(String id)
    {
        try {
            docker.inspectContainerCmd(id).exec();
            return true;
        }
        catch (NotFoundException e) {
            return false;
        }
    }

    @Test
    void claimedContainersAreKeptAndRecoveredFromTheOffsetAndUnclaimedOnesRemoved()
            throws Exception
    {
        SandboxHandle claimed = crashedWorkersContainer(worker,
                "echo out-1; sleep 0.2; echo err-1 >&2; sleep 4; echo out-2; sleep 0.2; echo err-2 >&2; exit 3");
        SandboxHandle unclaimed = crashedWorkersContainer(worker, "sleep 300");
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.config().put("gracePeriodSeconds", 1)
                .put("reconcileIntervalSeconds", 1), worker, tracker);
        TaskContext context = TaskContext.builder().taskId("recovered").build();
        try {
            assertThat(engine.capabilities().supports(Feature.RECOVERY)).as("recovery is on by default").isTrue();
            TaskContext own = TaskContext.builder().build();
            SandboxBuilder builder = engine.newSandboxBuilder(TestEngines.options(engine,
                    TestEngines.payload(TestDaemon.image(), "true"), own));
            Optional<SandboxHandle> before = builder.handle();
            Sandbox started = builder.startSandbox();
            assertThat(before).as("the builder's handle, known before the start").contains(started.handle());
            started.waitForResult().dispose();
            own.dispose();
            engine.retainRecoverable(List.of(claimed, new SandboxHandle("process", "{}")));
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (exists(id(unclaimed)) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(exists(id(unclaimed))).as("the container no stored lease claims").isFalse();
            assertThat(exists(id(claimed))).as("the claimed container, past the grace period").isTrue();

            // the caller stored "out-1\n" and 2 bytes of "err-1\n"
            Sandbox sandbox = engine.recoverSandbox(new RecoveryOptions(claimed, context, 8));
            assertThat(sandbox.handle()).isEqualTo(claimed);
            ResultSet result = sandbox.waitForResult();
            assertThat(result.termination().exitCode()).hasValue(3);
            assertThat(result.termination().outOfMemory()).isFalse();
            assertThat(context.log().contentAsString()).isEqualTo("r-1\nout-2\nerr-2\n");
            result.dispose();
            assertThat(exists(id(claimed))).as("the recovered container after its result set was disposed").isFalse();
        }
        finally {
            context.dispose();
            engine.dispose();
        }
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void anotherWorkersOrAnUnknownContainerIsRefused()
            throws Exception
    {
        SandboxHandle foreign = crashedWorkersContainer(worker + "-other", "sleep 300");
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.config(), worker, tracker);
        TaskContext context = TaskContext.builder().build();
        try {
            assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(foreign, context, 0)))
                    .isInstanceOf(MalformedPayloadException.class)
                    .hasMessageContaining("was not made by the Docker engine of worker");
            for (String data : List.of("{\"name\":\"leftover-1\"}", "{\"name\":\"../../v1.41/info\"}",
                    foreign.data().replace("}", ",\"id\":\"x\"}"))) {
                assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(new SandboxHandle("docker",
                        data), context, 0))).as(data).isInstanceOf(MalformedPayloadException.class);
            }
            SandboxHandle unknown = new SandboxHandle("docker", "{\"name\":\"taskyard-" + UUID.randomUUID() + "\"}");
            assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(unknown, context, 0)))
                    .isInstanceOf(ResourceNotFoundException.class);
            assertThat(exists(id(foreign))).as("a refused container is left alone").isTrue();
            assertThat(tracker.live()).isEmpty();
        }
        finally {
            context.dispose();
            engine.dispose();
        }
    }

    /** The worker stores the builder's handle before the start: a process that ended in between left this. */
    @Test
    void aContainerThatNeverStartedIsGoneAndRemoved()
            throws Exception
    {
        SandboxHandle created = crashedWorkersContainer(worker, "echo never", false);
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.config(), worker, tracker);
        TaskContext context = TaskContext.builder().build();
        try {
            assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(created, context, 0)))
                    .isInstanceOf(ResourceNotFoundException.class)
                    .hasMessageContaining("before the task ran");
            assertThat(exists(id(created))).as("the never started container").isFalse();
            assertThat(tracker.live()).isEmpty();
        }
        finally {
            context.dispose();
            engine.dispose();
        }
    }

    @Test
    void recoveryOffDeclaresNoFeatureAndGivesNoHandles()
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.config().put("recovery", false), worker, tracker);
        TaskContext context = TaskContext.builder().build();
        try {
            assertThat(engine.capabilities().supports(Feature.RECOVERY)).isFalse();
            Sandbox sandbox = engine.newSandboxBuilder(TestEngines.options(engine,
                    TestEngines.payload(TestDaemon.image(), "true"), context)).startSandbox();
            assertThatThrownBy(sandbox::handle).isInstanceOf(FeatureNotSupportedException.class);
            SandboxBuilder builder = engine.newSandboxBuilder(TestEngines.options(engine,
                    TestEngines.payload(TestDaemon.image(), "true"), context));
            assertThat(builder.handle()).as("a builder's handle with recovery off").isEmpty();
            builder.discard();
            SandboxHandle handle = new SandboxHandle("docker", "{}");
            assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(handle, context, 0)))
                    .isInstanceOf(FeatureNotSupportedException.class);
            sandbox.waitForResult().dispose();
        }
        finally {
            context.dispose();
            engine.dispose();
        }
        assertThat(tracker.live()).isEmpty();
    }
}
