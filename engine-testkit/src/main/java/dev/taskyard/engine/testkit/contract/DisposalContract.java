package dev.taskyard.engine.testkit.contract;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.ProxyResponse;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/**
 * The end of every object's life: what a disposed result set, a disposed engine and an ended builder refuse, that a
 * second dispose behaves, and that abort has released everything when it returns.
 */
public interface DisposalContract
        extends ContractCase
{
    @Test
    default void resultSetRefusesUseAfterDispose()
            throws Exception
    {
        KitRun run = newRun(payloads().target("kit-disposed"));
        run.start();
        ResultSet result = within("waitForResult", run::waitForResult);
        expectSuccess(ContractRule.DISPOSE_IDEMPOTENT, "dispose of the result set", result::dispose);
        checkRefusesUse(result, payloads().callTimeout());
        expectSuccess(ContractRule.DISPOSE_IDEMPOTENT, "a second dispose of the result set", result::dispose);
        checkRefusesUse(result, payloads().callTimeout());
    }

    /**
     * Fails with {@link ContractRule#RESULT_SET_AFTER_DISPOSE} unless every call but dispose throws, each within
     * {@code timeout}.
     */
    static void checkRefusesUse(ResultSet result, Duration timeout)
            throws Exception
    {
        ContractRule rule = ContractRule.RESULT_SET_AFTER_DISPOSE;
        KitAssertions.expectError(rule, IllegalStateException.class, "success() after dispose",
                timeout, result::success);
        KitAssertions.expectError(rule, IllegalStateException.class, "termination() after dispose",
                timeout, result::termination);
        KitAssertions.expectError(rule, IllegalStateException.class, "extractFile after dispose", timeout,
                () -> result.extractFile("kit-any").close());
        KitAssertions.expectError(rule, IllegalStateException.class, "extractFolder after dispose", timeout,
                () -> result.extractFolder("kit-any", (path, in) -> {}));
    }

    @Test
    default void engineDisposeIsIdempotentAndFinal()
            throws Exception
    {
        ResourceTracker otherTracker = new ResourceTracker();
        Engine other = newEngine(payloads().config(), otherTracker);
        KitRun run = newRun(other, payloads().silent(), newContext(b -> {}));
        within("a run on a second engine", run::run);
        run.dispose();
        expectSuccess(ContractRule.DISPOSE_IDEMPOTENT, "dispose of the engine", other::dispose);
        expectSuccess(ContractRule.DISPOSE_IDEMPOTENT, "a second dispose of the engine", other::dispose);
        KitAssertions.checkReleased(otherTracker, List.of(), "dispose of an engine");
        expectError(ContractRule.ENGINE_AFTER_DISPOSE, IllegalStateException.class,
                "newSandboxBuilder after the engine was disposed",
                () -> newRun(other, payloads().silent(), newContext(b -> {})));
        Object volume = within("newVolume after the engine was disposed", () -> {
            try {
                return other.newVolume(JsonNodeFactory.instance.objectNode());
            }
            catch (IllegalStateException | FeatureNotSupportedException e) {
                return e;
            }
        });
        check(volume instanceof Exception, ContractRule.ENGINE_AFTER_DISPOSE,
                "newVolume after dispose returned " + volume);
        KitAssertions.checkReleased(otherTracker, List.of(), "calls on a disposed engine");
    }

    @Test
    default void abortReleasesBeforeReturning()
            throws Exception
    {
        for (int i = 0; i < 3; i++) {
            List<String> before = tracker().live();
            KitRun run = newRun(payloads().targetThenSleep("kit-abort-" + i, Duration.ofSeconds(60)));
            Sandbox sandbox = run.start();
            if (i > 0) {
                check(run.awaitLog("kit-abort-" + i, payloads().callTimeout()), ContractRule.LIVE_LOG,
                        "the task's output did not reach the live log");
            }
            expectSuccess(ContractRule.WAIT_AFTER_ABORT, "abort of a running sandbox", sandbox::abort);
            // no grace period: when abort has returned, the sandbox's resources must be gone
            List<String> live = tracker().live();
            check(live.equals(before), ContractRule.ABORT_RELEASES, "abort returned while the engine still holds "
                    + live + " (before the run: " + before + ")");
        }
    }

    @Test
    default void endedBuilderRefusesDeclarations()
            throws Exception
    {
        KitRun discarded = newRun(payloads().silent());
        discarded.builder().discard();
        checkRefusesDeclarations(discarded.builder(), BuilderDiscardedException.class, "discarded");
        KitRun started = newRun(payloads().silent());
        started.start();
        checkRefusesDeclarations(started.builder(), IllegalStateException.class, "started");
        within("waitForResult", started::waitForResult);
    }

    private void checkRefusesDeclarations(SandboxBuilder builder, Class<? extends Exception> expected, String state)
            throws Exception
    {
        // an engine without a feature may answer feature-not-supported instead; anything else must be the refusal
        for (String what : List.of("setEnvironmentVariable", "attachProxy")) {
            Object outcome = within(what + " on a " + state + " builder", () -> {
                try {
                    if (what.equals("setEnvironmentVariable")) {
                        builder.setEnvironmentVariable("KIT_LATE_VARIABLE", "late");
                    }
                    else {
                        builder.attachProxy("kitlateproxy", request -> ProxyResponse.text(200, ""));
                    }
                    return KitAssertions.RETURNED;
                }
                catch (EngineException | RuntimeException e) {
                    return e;
                }
            });
            check(expected.isInstance(outcome) || outcome instanceof FeatureNotSupportedException,
                    ContractRule.BUILDER_AFTER_END,
                    what + " on a " + state + " builder gave " + outcome + "; expected " + expected.getSimpleName());
            check(!(outcome instanceof NamingConflictException || outcome instanceof MalformedPayloadException),
                    ContractRule.BUILDER_AFTER_END, what + " on a " + state + " builder gave " + outcome);
        }
    }
}
