package dev.taskyard.engine.docker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.HostConfig;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reconciler: objects a crashed worker left behind (made here directly, with the worker's labels) are removed by
 * the next engine of that worker once the grace period has passed; live sandboxes, young leftovers and other
 * workers' objects are left alone.
 */
@RequiresDocker
@Timeout(120)
class ReconcilerTest
{
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final DockerClient docker = TestDaemon.client();
    private final String worker = "reconciler-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> cleanup = new java.util.ArrayList<>();
    private final List<String> volumeCleanup = new java.util.ArrayList<>();

    @AfterEach
    void removeFixtures()
    {
        for (String container : cleanup) {
            try {
                docker.removeContainerCmd(container).withForce(true).exec();
            }
            catch (NotFoundException ignored) {
                // the reconciler got it
            }
        }
        for (String volume : volumeCleanup) {
            try {
                docker.removeVolumeCmd(volume).exec();
            }
            catch (NotFoundException ignored) {
                // the reconciler got it
            }
        }
    }

    private Map<String, String> labels(String workerId)
    {
        return Map.of(DockerLabels.ENGINE, "docker", DockerLabels.WORKER_GROUP, TestDaemon.TEST_WORKER_GROUP,
                DockerLabels.WORKER_ID, workerId, DockerLabels.TASK_ID, "crashed-task", DockerLabels.RUN_ID, "0");
    }

    private String leftoverContainer(String workerId)
    {
        String id = docker.createContainerCmd(TestDaemon.image())
                .withName("leftover-" + UUID.randomUUID())
                .withCmd("sleep", "300")
                .withLabels(labels(workerId))
                .withNetworkDisabled(true)
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("none"))
                .exec()
                .getId();
        docker.startContainerCmd(id).exec();
        cleanup.add(id);
        return id;
    }

    private String leftoverVolume(String workerId)
    {
        String name = "leftover-" + UUID.randomUUID();
        docker.createVolumeCmd().withName(name)
                .withLabels(Map.of(DockerLabels.ENGINE, "docker", DockerLabels.WORKER_GROUP,
                TestDaemon.TEST_WORKER_GROUP, DockerLabels.WORKER_ID, workerId)).exec();
        volumeCleanup.add(name);
        return name;
    }

    private boolean containerExists(String id)
    {
        try {
            docker.inspectContainerCmd(id).exec();
            return true;
        }
        catch (NotFoundException e) {
            return false;
        }
    }

    private boolean volumeExists(String name)
    {
        try {
            docker.inspectVolumeCmd(name).exec();
            return true;
        }
        catch (NotFoundException e) {
            return false;
        }
    }

    @Test
    void newEngineRemovesLeftoversAfterTheGracePeriodButNotLiveOrForeignObjects()
            throws Exception
    {
        String leftover = leftoverContainer(worker);
        String leftoverVolume = leftoverVolume(worker);
        String foreign = leftoverContainer(worker + "-other");
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.config().put("gracePeriodSeconds",
                1).put("reconcileIntervalSeconds", 1), worker, tracker);
        TaskContext context = TaskContext.builder().build();
        try {
            // a live sandbox of the new engine, older than the grace period by the time the leftovers go
            Sandbox live = engine.newSandboxBuilder(TestEngines.options(engine,
                    TestEngines.payload(TestDaemon.image(), "sleep", "4"), context)).startSandbox();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while ((containerExists(leftover) || volumeExists(leftoverVolume)) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(containerExists(leftover)).as("the leftover container").isFalse();
            assertThat(volumeExists(leftoverVolume)).as("the leftover volume").isFalse();
            ResultSet result = live.waitForResult();
            assertThat(result.success()).as("the live sandbox survived the reconciler").isTrue();
            result.dispose();
            assertThat(containerExists(foreign)).as("another worker's container").isTrue();
        }
        finally {
            context.dispose();
            engine.dispose();
        }
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void youngLeftoversWaitForTheGracePeriod()
            throws Exception
    {
        String leftover = leftoverContainer(worker);
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.config().put("gracePeriodSeconds",
                3600).put("reconcileIntervalSeconds", 1), worker, tracker);
        try {
            Thread.sleep(2500); // the pass at start and two more
            assertThat(containerExists(leftover)).isTrue();
        }
        finally {
            engine.dispose();
        }
    }
}
