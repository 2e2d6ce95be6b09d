package dev.taskyard.engine.testkit.contract;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Logging and success reporting: the Go kit's logging and kill cases, plus live reading, isolation, last line. */
public interface LoggingContract
        extends ContractCase
{
    @Test
    default void logTarget()
            throws Exception
    {
        KitRun run = newRun(payloads().target("kit-target-1f3a"));
        boolean success = within("a run of the target payload", run::run);
        check(success, ContractRule.SUCCESS_REPORTING, "the target payload must succeed; log was: " + run.log());
        check(run.log().contains("kit-target-1f3a"), ContractRule.LOG_CAPTURE,
                "the log lacks the target; log was: " + run.log());
    }

    @Test
    default void logTargetWhenFailing()
            throws Exception
    {
        KitRun run = newRun(payloads().failingTarget("kit-target-2b4c"));
        boolean success = within("a run of the failing payload", run::run);
        check(!success, ContractRule.SUCCESS_REPORTING, "the failing payload must not succeed");
        check(run.log().contains("kit-target-2b4c"), ContractRule.LOG_CAPTURE,
                "the log of a failing task lacks the target; log was: " + run.log());
    }

    @Test
    default void silentTask()
            throws Exception
    {
        KitRun run = newRun(payloads().silent());
        boolean success = within("a run of the silent payload", run::run);
        check(success, ContractRule.SUCCESS_REPORTING, "the silent payload must succeed");
        check(!run.log().contains("kit-target"), ContractRule.LOG_ISOLATION,
                "the silent task's log contains a target: " + run.log());
    }

    @Test
    default void lastLineWithoutNewlineIsCaptured()
            throws Exception
    {
        for (int i = 0; i < 5; i++) {
            String text = "kit-last-line-" + i;
            KitRun run = newRun(payloads().lastLineWithoutNewline(text));
            within("a run printing a last line without newline", run::run);
            check(run.log().contains(text), ContractRule.LOG_CAPTURE,
                    "the last line, written without a trailing newline right before exit, was lost; log was: \""
                    + run.log() + "\"");
        }
    }

    @Test
    default void liveLogThenKill()
            throws Exception
    {
        KitRun run = newRun(payloads().targetThenSleep("kit-live-5d6e", Duration.ofSeconds(60)));
        Sandbox sandbox = run.start();
        // read the live log byte by byte, as a follower would, until the target appears
        CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (InputStream in = run.context().log().newReader()) {
                int b;
                while ((b = in.read()) >= 0) {
                    out.write(b);
                    if (out.toString(StandardCharsets.UTF_8).contains("kit-live-5d6e")) {
                        return out.toString(StandardCharsets.UTF_8);
                    }
                }
                return null;
            }
            catch (Exception e) {
                return null;
            }
        });
        String prefix;
        try {
            prefix = seen.get(payloads().callTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (java.util.concurrent.TimeoutException e) {
            throw KitAssertions.violation(ContractRule.LIVE_LOG, "the target did not appear in the live log within "
                    + KitAssertions.format(payloads().callTimeout()) + " while the task ran");
        }
        check(prefix != null, ContractRule.LIVE_LOG, "the live log ended before the target appeared");
        expectSuccess(ContractRule.KILL_YIELDS_FAILED_RESULT, "kill of a running sandbox", sandbox::kill);
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
        check(!result.success(), ContractRule.KILL_YIELDS_FAILED_RESULT, "success() is true after kill");
        check(result.termination().killed(), ContractRule.KILL_YIELDS_FAILED_RESULT,
                "termination().killed() is false after kill: " + result.termination());
    }

    @Test
    default void concurrentSandboxesKeepLogsApart()
            throws Exception
    {
        List<KitRun> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(newRun(payloads().target("kit-apart-" + i + "-x")));
        }
        List<CompletableFuture<Boolean>> results = new ArrayList<>();
        for (KitRun run : runs) {
            results.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return run.run();
                }
                catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < runs.size(); i++) {
            boolean success = await("concurrent run " + i, results.get(i));
            check(success, ContractRule.SUCCESS_REPORTING, "concurrent run " + i + " failed");
            String log = runs.get(i).log();
            for (int j = 0; j < runs.size(); j++) {
                boolean contains = log.contains("kit-apart-" + j + "-x");
                check(contains == (i == j), ContractRule.LOG_ISOLATION, "log of sandbox " + i
                        + (contains ? " contains" : " lacks") + " the target of sandbox " + j + ": " + log);
            }
        }
    }
}
