package dev.taskyard.engine.process;

import java.time.Duration;

import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;

/**
 * The JVM that {@link UnclaimedRecoveryTest} kills: creates a process engine with {@code "recovery": true} on the root
 * folder {@code args[0]}, starts two tasks that keep running, prints for each {@code handle <data>} and
 * {@code workdir <path>} once it runs, then waits to be killed.
 */
public final class RecoverableCrashedEngineChild
{
    private RecoverableCrashedEngineChild() {}

    public static void main(String[] args)
            throws Exception
    {
        EngineFixture fixture = new EngineFixture("{\"rootFolder\": \"" + args[0] + "\", \"recovery\": true}");
        for (int i = 0; i < 2; i++) {
            TaskContext context = fixture.newContext();
            Sandbox sandbox = fixture.builder(EngineFixture.command("sh", "-c",
                    "pwd -P; echo ready; exec sleep 300"), context).startSandbox();
            String log = EngineFixture.awaitLog(context, "ready\n", Duration.ofSeconds(30));
            System.out.println("handle " + sandbox.handle().data());
            System.out.println("workdir " + log.lines().findFirst().orElseThrow());
        }
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
