package dev.taskyard.engine.testkit.contract;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;

import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** The resolution rules of {@link Sandbox}, each tested explicitly (the Go kit only exercised them implicitly). */
public interface ResolutionContract
        extends ContractCase
{
    @Test
    default void abortBeforeCompletion()
            throws Exception
    {
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        Sandbox sandbox = run.start();
        // a real synchronisation point: the waiter is parked inside waitForResult before abort runs
        FutureTask<Throwable> blockedWait = KitAssertions.startParked("blocked-wait", () -> {
            try {
                sandbox.waitForResult();
                return null;
            }
            catch (Throwable t) {
                return t;
            }
        });
        expectSuccess(ContractRule.WAIT_AFTER_ABORT, "abort of a running sandbox", sandbox::abort);
        expectError(ContractRule.WAIT_AFTER_ABORT, SandboxAbortedException.class, "waitForResult after abort",
                sandbox::waitForResult);
        Throwable blocked = await("a waitForResult blocked during abort", blockedWait);
        check(blocked instanceof SandboxAbortedException, ContractRule.WAIT_AFTER_ABORT,
                "a waitForResult blocked during abort ended with " + blocked);
        expectSuccess(ContractRule.CONSISTENT_RESOLUTION, "a second abort", sandbox::abort);
        expectError(ContractRule.CONSISTENT_RESOLUTION, SandboxAbortedException.class,
                "waitForResult after a second abort", sandbox::waitForResult);
        expectError(ContractRule.CONSISTENT_RESOLUTION, SandboxAbortedException.class,
                "kill after abort", sandbox::kill);
    }

    @Test
    default void abortAfterCompletion()
            throws Exception
    {
        KitRun run = newRun(payloads().silent());
        run.start();
        ResultSet first = within("waitForResult", run::waitForResult);
        expectError(ContractRule.ABORT_AFTER_COMPLETION, SandboxTerminatedException.class,
                "abort after waitForResult returned", () -> run.sandbox().abort());
        ResultSet second;
        try {
            second = within("waitForResult after abort", () -> run.sandbox().waitForResult());
        }
        catch (SandboxAbortedException e) {
            throw KitAssertions.violation(ContractRule.ABORT_AFTER_COMPLETION,
                    "waitForResult reported sandbox-aborted after the task had completed", e);
        }
        check(second == first, ContractRule.SAME_RESULT_SET, "waitForResult returned another ResultSet after abort");
        check(first.success(), ContractRule.SUCCESS_REPORTING, "the silent task did not succeed");
    }

    @Test
    default void sameResultSetFromRepeatedAndConcurrentWaits()
            throws Exception
    {
        KitRun run = newRun(payloads().sleep(Duration.ofMillis(200)));
        Sandbox sandbox = run.start();
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<ResultSet>> waits = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            waits.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return sandbox.waitForResult();
                }
                catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        go.countDown();
        ResultSet first = within("waitForResult", run::waitForResult);
        for (CompletableFuture<ResultSet> wait : waits) {
            check(await("a concurrent waitForResult", wait) == first, ContractRule.SAME_RESULT_SET,
                    "concurrent waitForResult calls returned different instances");
        }
        for (int i = 0; i < 3; i++) {
            check(within("waitForResult", sandbox::waitForResult) == first, ContractRule.SAME_RESULT_SET,
                    "a repeated waitForResult returned another instance");
        }
    }

    @Test
    default void killAfterTermination()
            throws Exception
    {
        KitRun run = newRun(payloads().silent());
        run.start();
        ResultSet result = within("waitForResult", run::waitForResult);
        expectError(ContractRule.KILL_AFTER_TERMINATION, SandboxTerminatedException.class, "kill after termination",
                () -> run.sandbox().kill());
        check(within("waitForResult", () -> run.sandbox().waitForResult()) == result, ContractRule.SAME_RESULT_SET,
                "kill after termination changed the result");
        check(result.success(), ContractRule.KILL_AFTER_TERMINATION,
                "kill after termination turned the result into a failure");
    }

    @Test
    default void killTwiceThenWait()
            throws Exception
    {
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        Sandbox sandbox = run.start();
        expectSuccess(ContractRule.KILL_YIELDS_FAILED_RESULT, "kill", sandbox::kill);
        try {
            sandbox.kill();
        }
        catch (SandboxTerminatedException expected) {
            // the task may already have died of the first kill
        }
        ResultSet result;
        try {
            result = within("waitForResult after kill", run::waitForResult);
        }
        catch (AssertionError e) {
            throw e;
        }
        catch (Exception e) {
            throw KitAssertions.violation(ContractRule.KILL_YIELDS_FAILED_RESULT,
                    "waitForResult after kill threw instead of returning a failed result", e);
        }
        check(!result.success() && result.termination().killed(), ContractRule.KILL_YIELDS_FAILED_RESULT,
                "the result after kill is " + result.termination());
        expectError(ContractRule.ABORT_AFTER_COMPLETION, SandboxTerminatedException.class,
                "abort after a killed task terminated", sandbox::abort);
    }

    /**
     * Kill after the task terminated while nobody waited for it: termination is a fact of the task, so kill must
     * report sandbox-terminated; and a kill that returned normally must yield a killed result. The kit cannot see
     * termination without waiting, so it lets the task run several times as long as an observed run took; the
     * verdict never depends on that timing, only how often the unobserved state is reached does.
     */
    @Test
    default void killAfterUnobservedTermination()
            throws Exception
    {
        KitRun probe = newRun(payloads().silent());
        long started = System.nanoTime();
        probe.start();
        within("waitForResult", probe::waitForResult);
        long observedNanos = System.nanoTime() - started;
        int terminatedSeen = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            KitRun run = newRun(payloads().silent());
            Sandbox sandbox = run.start();
            java.util.concurrent.locks.LockSupport.parkNanos(Math.max(observedNanos * (4 + 2 * attempt), 50_000_000L));
            Object killed = within("kill of a task that terminated unobserved", () -> {
                try {
                    sandbox.kill();
                    return KitAssertions.RETURNED;
                }
                catch (SandboxTerminatedException e) {
                    return e;
                }
            });
            ResultSet result = within("waitForResult", run::waitForResult);
            if (killed == KitAssertions.RETURNED) {
                check(!result.success() && result.termination().killed(), ContractRule.KILL_AFTER_TERMINATION,
                        "kill returned normally (so the task was still running) but the result is "
                                + result.termination()
                                + ": a kill after unobserved termination must report sandbox-terminated");
            }
            else {
                terminatedSeen++;
                check(result.success() && !result.termination().killed(), ContractRule.KILL_AFTER_TERMINATION,
                        "kill reported sandbox-terminated but the result is " + result.termination());
            }
        }
        check(terminatedSeen > 0, ContractRule.KILL_AFTER_TERMINATION,
                "in 3 attempts, kill never reported sandbox-terminated although the silent task had "
                        + "run many times longer than an observed run");
    }

    /**
     * Many threads call waitForResult, abort and kill at one instant, against running and just-finishing tasks,
     * for many rounds: every round must resolve once (rules 1 to 8 of {@link Sandbox}).
     */
    @Test
    default void resolutionRaceFromManyThreads()
            throws Exception
    {
        int threads = 6;
        for (int round = 0; round < 24; round++) {
            List<String> before = tracker().live();
            KitRun run = newRun(round % 3 == 0 ? payloads().silent() : payloads().sleep(Duration.ofSeconds(60)));
            Sandbox sandbox = run.start();
            int shape = round % 4;
            List<Object> outcomes = atOnce("waitForResult/abort/kill", threads, i -> {
                int kind = shape == 0 ? i % 3 : shape == 1 ? (i % 2 == 0 ? 1 : 0) : shape == 2
                        ? (i % 2 == 0 ? 2 : 0) : (i == 0 ? 2 : i % 3);
                return switch (kind) {
                    case 0 -> sandbox::waitForResult;
                    case 1 -> () -> {
                        sandbox.abort();
                        return null;
                    };
                    default -> () -> {
                        sandbox.kill();
                        return null;
                    };
                };
            });
            List<String> afterCalls = tracker().live();
            Object last = within("the final waitForResult", () -> {
                try {
                    return sandbox.waitForResult();
                }
                catch (SandboxAbortedException e) {
                    return e;
                }
            });
            boolean aborted = last instanceof SandboxAbortedException;
            boolean abortReturned = false;
            for (int i = 0; i < threads; i++) {
                int kind = shape == 0 ? i % 3 : shape == 1 ? (i % 2 == 0 ? 1 : 0) : shape == 2
                        ? (i % 2 == 0 ? 2 : 0) : (i == 0 ? 2 : i % 3);
                Object outcome = outcomes.get(i);
                String where = "round " + round + ", call " + i + " ("
                        + (kind == 0 ? "waitForResult" : kind == 1 ? "abort" : "kill") + ") gave " + outcome;
                if (kind == 0) {
                    check(aborted ? outcome instanceof SandboxAbortedException : outcome == last,
                            ContractRule.SANDBOX_THREAD_SAFETY,
                            (aborted ? "the sandbox was aborted but " : "the final waitForResult returned "
                                    + last + " but ") + where);
                }
                else if (kind == 1) {
                    abortReturned |= outcome == KitAssertions.RETURNED;
                    check(aborted ? outcome == KitAssertions.RETURNED : outcome instanceof SandboxTerminatedException,
                            ContractRule.SANDBOX_THREAD_SAFETY,
                            (aborted ? "the sandbox was aborted but " : "the task completed but ") + where);
                }
                else {
                    check(outcome == KitAssertions.RETURNED || outcome instanceof SandboxTerminatedException
                            || outcome instanceof SandboxAbortedException, ContractRule.SANDBOX_THREAD_SAFETY, where);
                    if (outcome == KitAssertions.RETURNED && !aborted) {
                        ResultSet result = (ResultSet) last;
                        check(!result.success() && result.termination().killed(), ContractRule.SANDBOX_THREAD_SAFETY,
                                "a kill returned normally but the result is " + result.termination() + ": " + where);
                    }
                }
            }
            check(aborted == abortReturned, ContractRule.SANDBOX_THREAD_SAFETY, "round " + round + ": aborted="
                    + aborted + " but an abort returned=" + abortReturned);
            if (aborted) {
                check(afterCalls.equals(before), ContractRule.ABORT_RELEASES,
                        "round " + round + ": every abort had returned, yet the engine still holds " + afterCalls
                                + " (before the run: " + before + ")");
            }
            run.dispose();
            KitAssertions.checkReleased(tracker(), before, "round " + round);
        }
    }

    @Test
    default void malformedPayloadFromNewSandboxBuilder()
            throws Exception
    {
        List<String> before = tracker().live();
        MalformedPayloadException error = expectError(ContractRule.MALFORMED_PAYLOAD, MalformedPayloadException.class,
                "newSandboxBuilder with a malformed payload", () -> newRun(payloads().malformed()));
        check(!error.messages().isEmpty(), ContractRule.MALFORMED_PAYLOAD, "the error has no messages");
        KitAssertions.checkReleased(tracker(), before, "a refused payload");
    }

    @Test
    default void successAndExitReporting()
            throws Exception
    {
        KitRun ok = newRun(payloads().target("kit-exit-ok"));
        ok.start();
        ResultSet okResult = within("waitForResult", ok::waitForResult);
        check(okResult.success() && okResult.termination().exitedCleanly(), ContractRule.SUCCESS_REPORTING,
                "a successful task reports " + okResult.termination());
        KitRun failing = newRun(payloads().failingTarget("kit-exit-fail"));
        failing.start();
        ResultSet failed = within("waitForResult", failing::waitForResult);
        check(!failed.success() && !failed.termination().killed(), ContractRule.SUCCESS_REPORTING,
                "a failing task reports " + failed.termination());
    }
}
