package dev.taskyard.engine.process;

import java.time.Duration;
import java.util.List;

import dev.taskyard.engine.testkit.EngineBehavior;

/** The engine contract kit against the process engine with {@code "recovery": true}: tasks run under a supervisor. */
class RecoverableContractTest
        extends ProcessEngineContractTest
{
    @Override
    protected String isolation()
    {
        return "\"recovery\": true";
    }

    @Override
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return behavior == EngineBehavior.SUPPORTS_RECOVERY || super.hasBehavior(behavior);
    }

    @Override
    protected String recoveryPayload(String first, Duration duration, String second)
    {
        return commandPayload(List.of("/bin/sh", "-c", "echo " + first + "; sleep "
                + duration.toMillis() / 1000.0 + "; echo " + second));
    }
}
