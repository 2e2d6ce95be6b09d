package dev.taskyard.engine.docker;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs after every other class of the module (see {@code junit-platform.properties}): no container or volume
 * labelled for a test worker may be left on the daemon.
 */
@RequiresDocker
@Order(Integer.MAX_VALUE)
class NoLeftoversTest
{
    @Test
    void nothingLabelledForATestWorkerIsLeft()
    {
        for (String group : new String[] {"kit", TestDaemon.TEST_WORKER_GROUP}) {
            assertThat(TestDaemon.containers(group)).as("containers labelled for worker group %s", group).isEmpty();
            assertThat(TestDaemon.volumes(group)).as("volumes labelled for worker group %s", group).isEmpty();
        }
    }
}
