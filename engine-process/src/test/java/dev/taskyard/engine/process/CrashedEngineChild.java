package dev.taskyard.engine.process;

import java.time.Duration;

import dev.taskyard.engine.TaskContext;

/**
 * The JVM that {@link CrashRecoveryTest} kills: creates a process engine on the root folder {@code args[0]}, starts a
 * task that spawns background processes (one double-forked) and keeps running, prints {@code started <session id>}
 * and {@code workdir <path>} once they run, then waits to be killed.
 */
public final class CrashedEngineChild
{
    private CrashedEngineChild() {}

    public static void main(String[] args)
            throws Exception
    {
        EngineFixture fixture = new EngineFixture("{\"rootFolder\": \"" + args[0] + "\"}");
        TaskContext context = fixture.newContext();
        fixture.builder(EngineFixture.command("sh", "-c",
                "sleep 300 & (sleep 300 &); echo \"started $$\"; pwd -P; exec sleep 300"), context).startSandbox();
        String log = EngineFixture.awaitLog(context, "\n/", Duration.ofSeconds(30));
        String[] lines = log.strip().split("\n");
        System.out.println(lines[0]);
        System.out.println("workdir " + lines[1]);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
