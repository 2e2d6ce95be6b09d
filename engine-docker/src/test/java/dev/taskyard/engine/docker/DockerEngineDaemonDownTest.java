package dev.taskyard.engine.docker;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A daemon that does not answer: the engine starts, and each task fails with a clear non-fatal internal error. */
@Timeout(60)
class DockerEngineDaemonDownTest
{
    @Test
    void startSandboxAndNewVolumeFailNonFatallyAndReleaseEverything()
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        Engine engine = TestEngines.create(TestEngines.MAPPER.createObjectNode().put("socket",
                TestEngines.DEAD_SOCKET), "daemon-down-test", tracker);
        TaskContext context = TaskContext.builder().build();
        try {
            SandboxBuilder builder =
                    engine.newSandboxBuilder(TestEngines.options(engine,
                    TestEngines.payload("busybox", "true"), context));
            assertThatThrownBy(builder::startSandbox)
                    .isInstanceOf(NonFatalInternalErrorException.class)
                    .hasMessageContaining(TestEngines.DEAD_SOCKET)
                    .hasMessageContaining("does not answer");
            assertThat(tracker.live()).isEmpty();
            assertThatThrownBy(() -> engine.newVolume(JsonNodeFactory.instance.objectNode()))
                    .isInstanceOf(NonFatalInternalErrorException.class)
                    .hasMessageContaining("does not answer");
            assertThat(tracker.live()).isEmpty();
        }
        finally {
            context.dispose();
            engine.dispose();
        }
        assertThat(tracker.live()).isEmpty();
    }
}
