package dev.taskyard.engine.testkit.contract;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/**
 * Recovery: a task started by one engine instance is re-attached by a fresh instance of the same provider and config
 * sharing its folder ({@link ContractCase#newRecoveringEngine}), as a worker does after its process ended. The first
 * instance stays alive meanwhile (as a frozen process would) and its sandbox is resolved by the kit's cleanup
 * afterwards, which the engine must tolerate. Engines without {@link EngineBehavior#SUPPORTS_RECOVERY} are verified
 * negatively: {@code handle()} and {@code recoverSandbox} report feature-not-supported.
 */
public interface RecoveryContract
        extends ContractCase
{
    private static long bytes(String text)
    {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private Recovered recover(SandboxHandle handle, long offset)
            throws Exception
    {
        ResourceTracker fresh = new ResourceTracker();
        Engine engine = within("creating a fresh engine", () -> newRecoveringEngine(fresh));
        TaskContext context = newContext(b -> b.taskId("kit-recovered"));
        return new Recovered(engine, fresh, context, handle, offset);
    }

    /** A fresh engine, its tracker and the context of the recovered run. */
    final class Recovered
            implements AutoCloseable
    {
        final Engine engine;
        final ResourceTracker tracker;
        final TaskContext context;
        final SandboxHandle handle;
        final long offset;
        /** What the fresh engine holds of its own (a root folder): everything beyond it belongs to a sandbox. */
        final List<String> baseline;

        private Recovered(Engine engine, ResourceTracker tracker, TaskContext context,
                SandboxHandle handle, long offset)
        {
            this.engine = engine;
            this.tracker = tracker;
            this.context = context;
            this.handle = handle;
            this.offset = offset;
            this.baseline = tracker.live();
        }

        /** Checks that the fresh engine holds nothing beyond what it held when created. */
        void checkReleased(ContractRule rule, String after)
                throws InterruptedException
        {
            KitAssertions.checkReleased(rule, tracker, baseline, after);
        }

        Sandbox sandbox()
                throws EngineException
        {
            return engine.recoverSandbox(new RecoveryOptions(handle, context, offset));
        }

        @Override
        public void close()
        {
            context.dispose();
        }
    }

    @Test
    default void recoveryIsDeclared()
            throws Exception
    {
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        Sandbox sandbox = within("startSandbox", run::start);
        if (supports(EngineBehavior.SUPPORTS_RECOVERY)) {
            SandboxHandle handle = within("handle()", sandbox::handle);
            check(handle != null, ContractRule.HANDLE_STABLE, "handle() returned null");
            return;
        }
        expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                "handle() on an engine declared without recovery", sandbox::handle);
        TaskContext context = newContext(b -> {});
        try {
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "recoverSandbox on an engine declared without recovery",
                    () -> engine().recoverSandbox(new RecoveryOptions(new SandboxHandle(payloads()
                            .engineName(), "{}"), context, 0)));
        }
        finally {
            context.dispose();
        }
    }

    @Test
    default void recoverRunningSandbox()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_RECOVERY)) {
            return; // the negative is verified by recoveryIsDeclared
        }
        KitRun run = newRun(payloads().recovery("kit-before-recovery", Duration.ofSeconds(3), "kit-after-recovery"));
        Sandbox original = within("startSandbox", run::start);
        check(run.awaitLog("kit-before-recovery\n", payloads().callTimeout()), ContractRule.LIVE_LOG,
                "the first line never reached the live log; log: " + run.log());
        SandboxHandle handle = within("handle()", original::handle);
        String stored = run.log();
        try (Recovered recovered = recover(handle, bytes(stored))) {
            Sandbox sandbox = within("recoverSandbox of a running task", recovered::sandbox);
            ResultSet result = within("waitForResult of the recovered sandbox", sandbox::waitForResult);
            String whole = stored + recovered.context.log().contentAsString();
            check(result.success(), ContractRule.RECOVER_RUNNING, "the recovered task did not succeed: "
                    + result.termination() + "; log: " + whole);
            check(result.termination().exitCode().equals(java.util.OptionalInt.of(0)), ContractRule.RECOVER_RUNNING,
                    "the recovered task's termination is " + result.termination() + ", expected exit code 0");
            check(whole.equals("kit-before-recovery\nkit-after-recovery\n"), ContractRule.RECOVER_RUNNING,
                    "the stored log (" + bytes(stored) + " bytes) and the recovered rest make \"" + whole
                            + "\", expected \"kit-before-recovery\\nkit-after-recovery\\n\"");
            within("dispose of the recovered result set", () -> {
                result.dispose();
                return null;
            });
            recovered.checkReleased(ContractRule.RECOVER_RUNNING, "after the result set was disposed");
        }
    }

    @Test
    default void recoverFinishedSandbox()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_RECOVERY)) {
            return;
        }
        KitRun run = newRun(payloads().failingTarget("kit-finished-before-recovery"));
        Sandbox original = within("startSandbox", run::start);
        SandboxHandle handle = within("handle()", original::handle);
        ResultSet first = within("waitForResult of the original sandbox", run::waitForResult);
        try (Recovered recovered = recover(handle, 0)) {
            Sandbox sandbox = within("recoverSandbox of a terminated task", recovered::sandbox);
            ResultSet result = within("waitForResult of the recovered sandbox", sandbox::waitForResult);
            String log = recovered.context.log().contentAsString();
            check(!result.success(), ContractRule.RECOVER_FINISHED,
                    "the recovered task succeeded; it exited with " + first.termination());
            check(result.termination().exitCode().equals(first.termination().exitCode()), ContractRule.RECOVER_FINISHED,
                    "the recovered termination is " + result.termination() + ", the task's was " + first.termination());
            check(log.equals(run.log()), ContractRule.RECOVER_FINISHED, "the recovered log from byte 0 is \"" + log
                    + "\", the task printed \"" + run.log() + "\"");
            within("dispose of the recovered result set", () -> {
                result.dispose();
                return null;
            });
            recovered.checkReleased(ContractRule.RECOVER_FINISHED, "after the result set was disposed");
        }
    }

    @Test
    default void recoverGoneOrMalformedHandle()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_RECOVERY)) {
            return;
        }
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        Sandbox original = within("startSandbox", run::start);
        SandboxHandle handle = within("handle()", original::handle);
        expectSuccess(ContractRule.ABORT_RELEASES, "abort of the original sandbox", original::abort);
        try (Recovered recovered = recover(handle, 0)) {
            expectError(ContractRule.RECOVER_GONE, ResourceNotFoundException.class,
                    "recoverSandbox of an aborted task", recovered::sandbox);
            for (SandboxHandle malformed : List.of(new SandboxHandle("kit-no-such-engine", handle.data()),
                    new SandboxHandle(handle.engine(), "kit {garbage"), new SandboxHandle(handle.engine(), ""))) {
                try (Recovered other = recover(malformed, 0)) {
                    expectError(ContractRule.RECOVER_GONE, MalformedPayloadException.class,
                            "recoverSandbox of the malformed handle " + malformed, other::sandbox);
                    other.checkReleased(ContractRule.RECOVER_GONE, "after refusing a malformed handle");
                }
            }
            recovered.checkReleased(ContractRule.RECOVER_GONE, "after refusing a gone task");
        }
    }

    @Test
    default void abortRecoveredSandbox()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_RECOVERY)) {
            return;
        }
        KitRun run = newRun(payloads().targetThenSleep("kit-recovered-then-aborted", Duration.ofSeconds(60)));
        Sandbox original = within("startSandbox", run::start);
        SandboxHandle handle = within("handle()", original::handle);
        try (Recovered recovered = recover(handle, 0)) {
            Sandbox sandbox = within("recoverSandbox of a running task", recovered::sandbox);
            expectSuccess(ContractRule.RECOVER_ABORT, "abort of the recovered sandbox", sandbox::abort);
            recovered.checkReleased(ContractRule.RECOVER_ABORT, "after abort returned");
            expectError(ContractRule.WAIT_AFTER_ABORT, SandboxAbortedException.class,
                    "waitForResult of the aborted recovered sandbox", sandbox::waitForResult);
            // the task itself is over: the original sandbox resolves, and the handle leads nowhere any more
            Object outcome = KitAssertions.within("waitForResult of the original sandbox after the recovered one was "
                    + "aborted", payloads().callTimeout(), ContractRule.RECOVER_ABORT, () -> {
                        try {
                            return original.waitForResult();
                        }
                        catch (EngineException e) {
                            return e;
                        }
                    });
            check(!(outcome instanceof ResultSet result) || !result.success(), ContractRule.RECOVER_ABORT,
                    "the task succeeded although its recovered sandbox was aborted");
            try (Recovered again = recover(handle, 0)) {
                expectError(ContractRule.RECOVER_ABORT, ResourceNotFoundException.class,
                        "recoverSandbox after the recovered sandbox was aborted", again::sandbox);
            }
        }
    }

    @Test
    default void handleIsStable()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_RECOVERY)) {
            return;
        }
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        Sandbox sandbox = within("startSandbox", run::start);
        SandboxHandle first = within("handle()", sandbox::handle);
        SandboxHandle second = within("handle() again", sandbox::handle);
        check(first.equals(second), ContractRule.HANDLE_STABLE, "two calls gave " + first + " and " + second);
        List<Object> handles = atOnce("handle() from 8 threads", 8, i -> sandbox::handle);
        for (Object handle : handles) {
            check(first.equals(handle), ContractRule.HANDLE_STABLE, "a concurrent call gave " + handle
                    + ", the first " + first);
        }
    }
}
