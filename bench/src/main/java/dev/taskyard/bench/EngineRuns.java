package dev.taskyard.bench;

import java.io.IOException;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;

/**
 * What the engine benchmarks do with an engine, written once: run tasks through the whole life-cycle
 * (newSandboxBuilder → startSandbox → waitForResult → dispose), and dispose of the engine checking that it released
 * everything. Stateless; each method is safe to call from several threads on one engine.
 */
final class EngineRuns
{
    private EngineRuns() {}

    /**
     * Runs one task and returns the nanoseconds from newSandboxBuilder to the end of the result's dispose; the task
     * context is made and disposed outside that time.
     *
     * @throws IllegalStateException the task did not succeed (the message has its termination and log)
     */
    static long timed(Engine engine, ObjectNode payload, Path temp, String what)
            throws Exception
    {
        TaskContext context = TaskContext.builder().taskId("bench").logSpillFolder(temp).build();
        try {
            long start = System.nanoTime();
            ResultSet result = engine.newSandboxBuilder(new SandboxOptions(payload, context))
                    .startSandbox().waitForResult();
            boolean success = result.success();
            Termination termination = result.termination();
            result.dispose();
            long elapsed = System.nanoTime() - start;
            if (!success) {
                throw new IllegalStateException(what + " failed: " + termination + " "
                        + context.log().contentAsString());
            }
            return elapsed;
        }
        finally {
            context.dispose();
        }
    }

    /**
     * Runs {@code count} tasks one after the other, each with its own task context.
     *
     * @throws IllegalStateException a task did not succeed
     */
    static void run(Engine engine, ObjectNode payload, Path temp, int count)
            throws Exception
    {
        for (int i = 0; i < count; i++) {
            TaskContext context = TaskContext.builder().taskId("t" + i).logSpillFolder(temp).build();
            try {
                ResultSet result = engine.newSandboxBuilder(new SandboxOptions(payload, context))
                        .startSandbox().waitForResult();
                boolean success = result.success();
                result.dispose();
                if (!success) {
                    throw new IllegalStateException("task " + i + " failed: " + result.termination());
                }
            }
            finally {
                context.dispose();
            }
        }
    }

    /**
     * Disposes the engine and deletes its temp folder.
     *
     * @throws IllegalStateException the engine left a resource in its tracker
     */
    static void dispose(Engine engine, ResourceTracker tracker, Path temp, String name)
            throws EngineException, IOException
    {
        engine.dispose();
        if (!tracker.isEmpty()) {
            throw new IllegalStateException("the " + name + " engine leaked " + tracker.live());
        }
        MoreFiles.deleteRecursively(temp);
    }
}
