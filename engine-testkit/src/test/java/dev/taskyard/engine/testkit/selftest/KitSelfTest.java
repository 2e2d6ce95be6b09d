package dev.taskyard.engine.testkit.selftest;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.taskyard.engine.testkit.ContractRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * The kit tests itself: it runs the kit's cases against each deliberately broken engine through the JUnit Platform
 * test kit and checks that they fail with a message naming the rule broken. Each broken engine runs the cases meant
 * to catch it (the whole kit against every broken engine would take minutes); {@code MockEngineContractTest} proves
 * the same cases pass on the unbroken mock.
 */
class KitSelfTest
{
    /** The call timeout for broken engines caught by a wait running out: they fail in seconds, not in 30 s. */
    private static final Duration SHORT_CALL_TIMEOUT = Duration.ofSeconds(2);

    /**
     * One broken engine: its registered name, the rule it breaks, the kit cases that must catch it, and the call
     * timeout of the kit for it ({@code null}: the kit's default).
     */
    record Broken(String engine, ContractRule rule, List<String> cases, Duration callTimeout)
    {
        Broken(String engine, ContractRule rule, String... cases)
        {
            this(engine, rule, List.of(cases), null);
        }

        /** The same broken engine, run with the kit's call timeout lowered to {@code timeout}. */
        Broken withCallTimeout(Duration timeout)
        {
            return new Broken(engine, rule, cases, timeout);
        }

        @Override
        public String toString()
        {
            return engine + " fails " + cases + " with [" + rule.id() + "]";
        }
    }

    static final List<Broken> BROKEN = List.of(
            new Broken("broken-new-result-set", ContractRule.SAME_RESULT_SET,
                    "sameResultSetFromRepeatedAndConcurrentWaits"),
            new Broken("broken-abort-after-completion", ContractRule.ABORT_AFTER_COMPLETION, "abortAfterCompletion"),
            new Broken("broken-unsynchronised-builder", ContractRule.BUILDER_THREAD_SAFETY,
                    "builderHammeredFromEightThreads"),
            new Broken("broken-lost-last-line", ContractRule.LOG_CAPTURE, "lastLineWithoutNewlineIsCaptured"),
            new Broken("broken-folder-directories", ContractRule.FOLDER_WITHOUT_DIRECTORIES, "extractNestedFolder"),
            new Broken("broken-leak", ContractRule.NO_LEAK, "logTarget"),
            new Broken("broken-kill-error", ContractRule.KILL_YIELDS_FAILED_RESULT, "killTwiceThenWait"),
            new Broken("broken-kill-after-termination", ContractRule.KILL_AFTER_TERMINATION, "killAfterTermination"),
            new Broken("broken-path-escape", ContractRule.ARTIFACT_PATH_ESCAPE, "artifactPathsCannotEscape"),
            new Broken("broken-usable-after-dispose", ContractRule.RESULT_SET_AFTER_DISPOSE,
                    "resultSetRefusesUseAfterDispose"),
            new Broken("broken-result-set-second-dispose", ContractRule.DISPOSE_IDEMPOTENT,
                    "resultSetRefusesUseAfterDispose"),
            new Broken("broken-engine-second-dispose", ContractRule.DISPOSE_IDEMPOTENT,
                    "engineDisposeIsIdempotentAndFinal"),
            new Broken("broken-engine-usable-after-dispose", ContractRule.ENGINE_AFTER_DISPOSE,
                    "engineDisposeIsIdempotentAndFinal"),
            new Broken("broken-racy-limit", ContractRule.MAX_CONCURRENCY,
                    "maxConcurrencyHoldsForBuildersStartedAtOnce"),
            new Broken("broken-lazy-termination", ContractRule.KILL_AFTER_TERMINATION,
                    "killAfterUnobservedTermination"),
            new Broken("broken-async-abort", ContractRule.ABORT_RELEASES, "abortReleasesBeforeReturning"),
            new Broken("broken-collapsed-exit-code", ContractRule.EXIT_CODE, "exitCodesAreReportedExactly"),
            new Broken("broken-lenient-config", ContractRule.CONFIG_SCHEMA, "configSchemaRefusesInvalidConfigs"),
            new Broken("broken-payload-schema", ContractRule.PAYLOAD_SCHEMA, "payloadSchemaDescribesAnObject"),
            new Broken("broken-shared-engine", ContractRule.PROVIDER_REENTRANT,
                    "providerCreatesIndependentEnginesConcurrently"),
            new Broken("broken-late-declarations", ContractRule.BUILDER_AFTER_END, "endedBuilderRefusesDeclarations"),
            new Broken("broken-racy-result-set", ContractRule.RESULT_SET_THREAD_SAFETY,
                    "resultSetExtractsFromManyThreads"),
            new Broken("broken-racy-resolution", ContractRule.SANDBOX_THREAD_SAFETY, "resolutionRaceFromManyThreads"),
            new Broken("broken-wait-after-abort", ContractRule.WAIT_AFTER_ABORT, "abortBeforeCompletion"),
            new Broken("broken-second-abort", ContractRule.CONSISTENT_RESOLUTION, "abortBeforeCompletion"),
            new Broken("broken-shell-after-termination", ContractRule.SHELL_AFTER_TERMINATION,
                    "newShellAfterTermination"),
            new Broken("broken-kill-keeps-shells", ContractRule.KILL_ABORTS_SHELLS, "sandboxKillAbortsShells"),
            new Broken("broken-shell-exit", ContractRule.SHELLS, "shellBadCommand"),
            new Broken("broken-display-size", ContractRule.DISPLAYS, "listDisplays"),
            new Broken("broken-start-twice", ContractRule.BUILDER_SINGLE_USE, "startTwice"),
            new Broken("broken-naming-conflict", ContractRule.NAMING_CONFLICT, "environmentVariableNameConflict"),
            new Broken("broken-invalid-name", ContractRule.INVALID_NAME, "refusesInvalidEnvironmentVariableNames"),
            new Broken("broken-environment", ContractRule.ENVIRONMENT, "printEnvironmentVariable"),
            new Broken("broken-always-success", ContractRule.SUCCESS_REPORTING, "successAndExitReporting"),
            new Broken("broken-empty-artifacts", ContractRule.ARTIFACTS, "extractTextFile"),
            new Broken("broken-missing-file", ContractRule.RESOURCE_NOT_FOUND, "extractMissingFile"),
            new Broken("broken-handler-interrupt", ContractRule.HANDLER_INTERRUPT, "extractFolderHandlerInterrupt"),
            new Broken("broken-feature-declaration", ContractRule.FEATURE_DECLARATION,
                    "capabilitiesMatchDeclaredBehaviors"),
            new Broken("broken-malformed-payload", ContractRule.MALFORMED_PAYLOAD,
                    "malformedPayloadFromNewSandboxBuilder"),
            new Broken("broken-shared-log", ContractRule.LOG_ISOLATION, "concurrentSandboxesKeepLogsApart"),
            new Broken("broken-read-only-mount", ContractRule.VOLUMES, "readOnlyVolumeIsEnforced"),
            new Broken("broken-proxy-prefix", ContractRule.PROXIES, "pingProxy"),
            new Broken("broken-display-left-open", ContractRule.KILL_CLOSES_DISPLAYS, "killClosesDisplays")
                    .withCallTimeout(SHORT_CALL_TIMEOUT),
            new Broken("broken-log-at-exit", ContractRule.LIVE_LOG, "liveLogThenKill")
                    .withCallTimeout(SHORT_CALL_TIMEOUT),
            new Broken("broken-ignores-cancellation", ContractRule.CANCELLATION, "cancelDuringRun", "cancelBeforeStart")
                    .withCallTimeout(SHORT_CALL_TIMEOUT),
            new Broken("broken-kill-waits-for-exit", ContractRule.NO_HANG, "killTwiceThenWait")
                    .withCallTimeout(SHORT_CALL_TIMEOUT),
            new Broken("broken-recover-replays-log", ContractRule.RECOVER_RUNNING, "recoverRunningSandbox"),
            new Broken("broken-recover-success", ContractRule.RECOVER_FINISHED, "recoverFinishedSandbox"),
            new Broken("broken-recover-gone", ContractRule.RECOVER_GONE, "recoverGoneOrMalformedHandle"),
            new Broken("broken-recover-abort", ContractRule.RECOVER_ABORT, "abortRecoveredSandbox"),
            new Broken("broken-unstable-handle", ContractRule.HANDLE_STABLE, "handleIsStable"));

    static Stream<Broken> brokenEngines()
    {
        return BROKEN.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenEngines")
    void kitFailsBrokenEngineNamingTheRule(Broken broken)
    {
        BrokenEngineContractTest.engine = broken.engine();
        BrokenEngineContractTest.callTimeout = broken.callTimeout();
        try {
            DiscoverySelector[] selectors = broken.cases().stream()
                    .map(method -> selectMethod(BrokenEngineContractTest.class, method))
                    .toArray(DiscoverySelector[]::new);
            Events tests = EngineTestKit.engine("junit-jupiter")
                    .selectors(selectors)
                    .configurationParameter("junit.jupiter.execution.timeout.mode", "enabled")
                    .execute()
                    .testEvents();
            List<String> messages = tests.failed().stream()
                    .map(event -> event.getPayload(TestExecutionResult.class))
                    .flatMap(Optional::stream)
                    .flatMap(result -> result.getThrowable().stream())
                    .map(KitSelfTest::fullMessage)
                    .toList();
            assertThat(tests.started().count()).as("kit cases run").isEqualTo(broken.cases().size());
            assertThat(messages).as("failures of the kit against " + broken.engine()).isNotEmpty();
            assertThat(messages).as("a failure names [" + broken.rule().id() + "]")
                    .anyMatch(message -> message.contains("[" + broken.rule().id() + "]"));
        }
        finally {
            BrokenEngineContractTest.engine = null;
            BrokenEngineContractTest.callTimeout = null;
        }
    }

    @Test
    void everyRuleHasABrokenEngine()
    {
        Set<ContractRule> covered = BROKEN.stream().map(Broken::rule)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(ContractRule.class)));
        assertThat(covered).as("rules with a broken engine in the self-test")
                .containsExactlyInAnyOrder(ContractRule.values());
    }

    private static String fullMessage(Throwable throwable)
    {
        StringBuilder out = new StringBuilder();
        for (Throwable t = throwable; t != null; t = t.getCause()) {
            out.append(t.getMessage()).append('\n');
            for (Throwable suppressed : t.getSuppressed()) {
                out.append(suppressed.getMessage()).append('\n');
            }
        }
        return out.toString();
    }

    /** The mock's kit test, pointed at the broken engine the self-test is running. */
    static class BrokenEngineContractTest
            extends MockEngineContractTest
    {
        static volatile String engine;
        static volatile Duration callTimeout;

        @Override
        protected String engineName()
        {
            return engine == null ? "mock" : engine;
        }

        @Override
        protected Duration callTimeout()
        {
            return callTimeout == null ? super.callTimeout() : callTimeout;
        }
    }
}
