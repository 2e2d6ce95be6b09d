package dev.taskyard.engine.testkit.contract;

import java.nio.file.Path;
import java.util.function.Consumer;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import dev.taskyard.engine.testkit.KitRun;

/**
 * What every contract case can use; implemented by {@link EngineContractTest}. Engine authors do not implement
 * these interfaces themselves.
 */
public interface ContractCase
{
    Engine engine();

    ResourceTracker tracker();

    boolean supports(EngineBehavior behavior);

    EngineContractTest.Payloads payloads();

    KitRun newRun(String payload)
            throws EngineException;

    KitRun newRun(Engine engine, String payload, TaskContext context)
            throws EngineException;

    TaskContext newContext(Consumer<TaskContext.Builder> customizer);

    Engine newEngine(String config, ResourceTracker tracker)
            throws EngineException;

    /** The kit's work folder of the current case: outside every sandbox. */
    Path workFolder();
}
