package dev.taskyard.engine.testkit.contract;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.quicktheories.core.Gen;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * A property test: random schedules of concurrent {@code waitForResult}, {@code abort} and {@code kill} calls, with
 * random delays, against tasks of random length. Every schedule must resolve consistently, no call may hang and
 * nothing may leak. The seed is printed on failure; replay with {@code -Dtaskyard.kit.seed=N}.
 */
public interface ResolutionPropertyContract
        extends ContractCase
{
    /** One call of a schedule: what, and how long after the start. */
    record Call(Kind kind, int delayMillis)
    {
        @Override
        public String toString()
        {
            return kind + "@" + delayMillis + "ms";
        }
    }

    enum Kind
    {
        WAIT, ABORT, KILL
    }

    /** A task of {@code taskMillis} (0: the silent payload) and the calls made against it. */
    record Schedule(int taskMillis, List<Call> calls)
    {
        @Override
        public String toString()
        {
            return "task " + taskMillis + "ms, calls " + calls;
        }
    }

    /**
     * Runs {@code resolutionSchedules()} random schedules (200 by default), each call bounded by the call timeout. Its
     * own time limit is ten minutes rather than the kit's two: an engine whose sandboxes are slow to set up (the
     * process engine with a fresh account and cgroups per task, about 0.5 s a schedule) needs most of two minutes
     * on a quiet machine, and more on a loaded CI machine.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    default void randomResolutionSchedulesResolveConsistently()
    {
        long seed = Long.getLong("taskyard.kit.seed", System.nanoTime());
        Gen<Call> call = integers().between(0, 2)
                .zip(integers().between(0, 80), (kind, delay) -> new Call(Kind.values()[kind], delay));
        Gen<Schedule> schedules = integers().between(0, 150).zip(lists().of(call).ofSizeBetween(1, 5), Schedule::new);
        AtomicReference<String> firstViolation = new AtomicReference<>();
        try {
            qt().withFixedSeed(seed)
                    .withExamples(payloads().resolutionSchedules())
                    .withUnlimitedTestingTime()
                    .withShrinkCycles(10)
                    .forAll(schedules)
                    .checkAssert(schedule -> {
                        try {
                            runSchedule(schedule);
                        }
                        catch (AssertionError e) {
                            firstViolation.compareAndSet(null, e.getMessage() + " (schedule: " + schedule + ")");
                            throw e;
                        }
                        catch (Exception e) {
                            AssertionError error = new AssertionError(ContractRule.CONSISTENT_RESOLUTION
                                    .violation("schedule " + schedule + " failed: " + e), e);
                            firstViolation.compareAndSet(null, error.getMessage());
                            throw error;
                        }
                    });
        }
        catch (AssertionError e) {
            throw new AssertionError(firstViolation.get() + "\nreplay with -Dtaskyard.kit.seed=" + seed
                    + "\n" + e.getMessage(), e);
        }
    }

    private void runSchedule(Schedule schedule)
            throws Exception
    {
        List<String> before = tracker().live();
        String payload = schedule.taskMillis() == 0 ? payloads().silent()
                : payloads().sleep(Duration.ofMillis(schedule.taskMillis()));
        KitRun run = newRun(payload);
        Sandbox sandbox = run.start();
        List<CompletableFuture<Object>> outcomes = new ArrayList<>();
        for (Call call : schedule.calls()) {
            outcomes.add(CompletableFuture.supplyAsync(() -> {
                try {
                    Thread.sleep(call.delayMillis());
                    switch (call.kind()) {
                        case WAIT:
                            return sandbox.waitForResult();
                        case ABORT:
                            sandbox.abort();
                            return "returned";
                        default:
                            sandbox.kill();
                            return "returned";
                    }
                }
                catch (Exception e) {
                    return e;
                }
            }));
        }
        List<Object> results = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            results.add(await(schedule.calls().get(i) + " in " + schedule, outcomes.get(i)));
        }
        Object finalWait = within("the final waitForResult", () -> {
            try {
                return sandbox.waitForResult();
            }
            catch (SandboxAbortedException e) {
                return e;
            }
        });
        boolean aborted = finalWait instanceof SandboxAbortedException;
        boolean anyKill = false;
        for (int i = 0; i < results.size(); i++) {
            Call call = schedule.calls().get(i);
            Object outcome = results.get(i);
            String where = call + " in " + schedule + " gave " + outcome;
            switch (call.kind()) {
                case WAIT -> {
                    if (aborted) {
                        check(outcome instanceof SandboxAbortedException, ContractRule.CONSISTENT_RESOLUTION,
                                "the sandbox was aborted but " + where);
                    }
                    else {
                        check(outcome instanceof ResultSet, ContractRule.CONSISTENT_RESOLUTION,
                                "the task completed but " + where);
                        check(outcome == finalWait, ContractRule.SAME_RESULT_SET,
                                "waitForResult returned different instances: " + where);
                    }
                }
                case ABORT -> {
                    if (aborted) {
                        check("returned".equals(outcome), ContractRule.CONSISTENT_RESOLUTION,
                                "the sandbox was aborted but " + where);
                    }
                    else {
                        check(outcome instanceof SandboxTerminatedException, ContractRule.ABORT_AFTER_COMPLETION,
                                "the task completed but " + where);
                    }
                }
                case KILL -> {
                    if ("returned".equals(outcome)) {
                        anyKill = true;
                    }
                    else if (aborted) {
                        check(outcome instanceof SandboxAbortedException, ContractRule.CONSISTENT_RESOLUTION,
                                "the sandbox was aborted but " + where);
                    }
                    else {
                        check(outcome instanceof SandboxTerminatedException, ContractRule.KILL_AFTER_TERMINATION,
                                "the task completed but " + where);
                    }
                }
            }
        }
        boolean anyAbortReturned = false;
        for (int i = 0; i < results.size(); i++) {
            anyAbortReturned |= schedule.calls().get(i).kind() == Kind.ABORT && "returned".equals(results.get(i));
        }
        check(aborted == anyAbortReturned, ContractRule.CONSISTENT_RESOLUTION,
                (aborted ? "the sandbox reports aborted although no abort returned"
                        : "an abort returned but the sandbox reports a result") + " in " + schedule);
        if (!aborted && anyKill) {
            ResultSet result = (ResultSet) finalWait;
            check(!result.success() && result.termination().killed(), ContractRule.KILL_YIELDS_FAILED_RESULT,
                    "a kill returned before termination but the result is " + result.termination() + " in " + schedule);
        }
        if (!aborted) {
            run.waitForResult();
        }
        run.dispose();
        KitAssertions.checkReleased(tracker(), before, "schedule " + schedule);
    }
}
