package dev.taskyard.engine.testkit.contract;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Cancellation of the task context before, during and after start; deadlines. */
public interface CancellationContract
        extends ContractCase
{
    @Test
    default void cancelDuringRun()
            throws Exception
    {
        List<String> before = tracker().live();
        TaskContext context = newContext(b -> {});
        KitRun run = newRun(engine(),
                payloads().targetThenSleep("kit-cancel-running", Duration.ofSeconds(60)), context);
        Sandbox sandbox = run.start();
        // a real synchronisation point: the task is running once its output is in the log
        check(run.awaitLog("kit-cancel-running", payloads().callTimeout()), ContractRule.LIVE_LOG,
                "the task's output did not reach the live log");
        within("cancel", () -> {
            context.cancel("kit cancellation");
            return null;
        });
        expectAbortedOrFailed(sandbox, "waitForResult after the context of a running task was cancelled");
        KitAssertions.checkReleased(ContractRule.CANCELLATION, tracker(), before, "cancellation during the run");
    }

    @Test
    default void cancelBeforeStart()
            throws Exception
    {
        List<String> before = tracker().live();
        TaskContext context = newContext(b -> {});
        KitRun run = newRun(engine(), payloads().sleep(Duration.ofSeconds(60)), context);
        context.cancel("kit cancellation");
        Object outcome = within("startSandbox on a cancelled context", () -> {
            try {
                return run.builder().startSandbox();
            }
            catch (TaskCanceledException e) {
                return e;
            }
        });
        if (outcome instanceof Sandbox sandbox) {
            expectAbortedOrFailed(sandbox, "waitForResult of a sandbox started on a cancelled context");
        }
        KitAssertions.checkReleased(ContractRule.CANCELLATION, tracker(), before, "cancellation before start");
    }

    @Test
    default void cancelDuringStart()
            throws Exception
    {
        List<String> before = tracker().live();
        for (int i = 0; i < 10; i++) {
            TaskContext context = newContext(b -> {});
            KitRun run = newRun(engine(), payloads().sleep(Duration.ofSeconds(60)), context);
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Object> start = CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return run.builder().startSandbox();
                }
                catch (Exception e) {
                    return e;
                }
            });
            go.countDown();
            KitAssertions.jitter(i);
            context.cancel("kit cancellation");
            Object outcome = await("startSandbox racing cancellation", start);
            if (outcome instanceof Sandbox sandbox) {
                expectAbortedOrFailed(sandbox, "waitForResult of a sandbox whose start raced cancellation");
            }
            else {
                check(outcome instanceof TaskCanceledException, ContractRule.CANCELLATION,
                        "startSandbox racing cancellation must return a sandbox or throw TaskCanceledException, "
                                + "got " + outcome);
            }
            KitAssertions.checkReleased(ContractRule.CANCELLATION, tracker(), before, "cancellation during start");
        }
    }

    @Test
    default void deadlineKillsTheTask()
            throws Exception
    {
        TaskContext context = newContext(b -> b.deadlineIn(Duration.ofMillis(300)));
        KitRun run = newRun(engine(), payloads().sleep(Duration.ofSeconds(60)), context);
        run.start();
        ResultSet result;
        try {
            result = within("waitForResult of a task past its deadline", run::waitForResult);
        }
        catch (AssertionError e) {
            throw e;
        }
        catch (Exception e) {
            throw KitAssertions.violation(ContractRule.KILL_YIELDS_FAILED_RESULT,
                    "a task killed at its deadline must yield a failed result", e);
        }
        check(!result.success() && result.termination().timedOut(), ContractRule.KILL_YIELDS_FAILED_RESULT,
                "a task killed at its deadline reports " + result.termination());
    }

    /**
     * Waits for the sandbox of a cancelled context: it must resolve (aborted, cancelled or a failed result) within the
     * call timeout; a task still running then was not stopped by the cancellation.
     */
    private void expectAbortedOrFailed(Sandbox sandbox, String what)
            throws Exception
    {
        Object outcome = KitAssertions.within(what, payloads().callTimeout(), ContractRule.CANCELLATION, () -> {
            try {
                return sandbox.waitForResult();
            }
            catch (SandboxAbortedException | TaskCanceledException e) {
                return e;
            }
        });
        if (outcome instanceof ResultSet result) {
            check(!result.success(), ContractRule.CANCELLATION, "a cancelled 60 s task reported success");
            result.dispose();
        }
    }
}
