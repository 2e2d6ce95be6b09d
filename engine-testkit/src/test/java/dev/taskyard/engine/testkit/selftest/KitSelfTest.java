package dev.taskyard.engine.testkit.selftest;

import java.util.List;
import java.util.stream.Stream;

import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.mock.MockEngineContractTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.Events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The kit tests itself: it runs the whole contract kit against each deliberately broken engine through the JUnit
 * Platform test kit and checks that the kit fails, with a message naming the rule broken.
 */
class KitSelfTest
{
    static Stream<Arguments> brokenEngines()
    {
        return Stream.of(
                Arguments.of(NewResultSetPerWaitContractTest.class, ContractRule.SAME_RESULT_SET),
                Arguments.of(AbortAfterCompletionContractTest.class, ContractRule.ABORT_AFTER_COMPLETION),
                Arguments.of(UnsynchronisedBuilderContractTest.class, ContractRule.BUILDER_THREAD_SAFETY),
                Arguments.of(LostLastLineContractTest.class, ContractRule.LOG_CAPTURE),
                Arguments.of(FolderWithDirectoriesContractTest.class, ContractRule.FOLDER_WITHOUT_DIRECTORIES),
                Arguments.of(LeakContractTest.class, ContractRule.NO_LEAK),
                Arguments.of(KillErrorContractTest.class, ContractRule.KILL_YIELDS_FAILED_RESULT),
                Arguments.of(KillAfterTerminationContractTest.class, ContractRule.KILL_AFTER_TERMINATION));
    }

    @ParameterizedTest(name = "{0} fails with {1}")
    @MethodSource("brokenEngines")
    void kitFailsBrokenEngineNamingTheRule(Class<?> contractTest, ContractRule rule)
    {
        Events tests = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(contractTest))
                .configurationParameter("junit.jupiter.execution.timeout.mode", "enabled")
                .execute()
                .testEvents();
        List<String> messages = tests.failed().stream()
                .map(event -> event.getPayload(TestExecutionResult.class))
                .flatMap(java.util.Optional::stream)
                .flatMap(result -> result.getThrowable().stream())
                .map(KitSelfTest::fullMessage)
                .toList();
        assertThat(tests.started().count()).as("kit cases run").isGreaterThan(40);
        assertThat(messages).as("failures of the kit against " + contractTest.getSimpleName()).isNotEmpty();
        assertThat(messages).as("a failure names [" + rule.id() + "]").anyMatch(message -> message.contains("[" + rule.id() + "]"));
    }

    private static String fullMessage(Throwable throwable)
    {
        StringBuilder out = new StringBuilder();
        for (Throwable t = throwable; t != null; t = t.getCause()) {
            out.append(t.getMessage()).append('\n');
        }
        return out.toString();
    }

    static class NewResultSetPerWaitContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-new-result-set";
        }
    }

    static class AbortAfterCompletionContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-abort-after-completion";
        }
    }

    static class UnsynchronisedBuilderContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-unsynchronised-builder";
        }
    }

    static class LostLastLineContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-lost-last-line";
        }
    }

    static class FolderWithDirectoriesContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-folder-directories";
        }
    }

    static class LeakContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-leak";
        }
    }

    static class KillErrorContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-kill-error";
        }
    }

    static class KillAfterTerminationContractTest extends MockEngineContractTest
    {
        @Override
        protected String engineName()
        {
            return "broken-kill-after-termination";
        }
    }
}
