package dev.taskyard.engine.testkit.contract;

import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Environment variables: print, name conflict, invalid names; or feature-not-supported. */
public interface EnvironmentContract
        extends ContractCase
{
    @Test
    default void printEnvironmentVariable()
            throws Exception
    {
        String name = payloads().environmentVariableName();
        if (!supports(EngineBehavior.SUPPORTS_ENVIRONMENT_VARIABLES)) {
            KitRun run = newRun(payloads().silent());
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "setEnvironmentVariable on an engine declared without it",
                    () -> run.builder().setEnvironmentVariable(name, "Hello World"));
            return;
        }
        KitRun run = newRun(payloads().printEnvironmentVariable(name));
        expectSuccess(ContractRule.ENVIRONMENT, "setEnvironmentVariable(" + name + ")",
                () -> run.builder().setEnvironmentVariable(name, "Hello World"));
        boolean success = within("a run printing a variable", run::run);
        check(success, ContractRule.SUCCESS_REPORTING, "the print-variable payload failed; log: " + run.log());
        check(run.log().contains("Hello World"), ContractRule.ENVIRONMENT,
                "the value did not reach the task; log: " + run.log());
    }

    @Test
    default void environmentVariableNameConflict()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ENVIRONMENT_VARIABLES)) {
            return; // the negative is verified by printEnvironmentVariable
        }
        String name = payloads().environmentVariableName();
        KitRun run = newRun(payloads().silent());
        expectSuccess(ContractRule.ENVIRONMENT, "first setEnvironmentVariable",
                () -> run.builder().setEnvironmentVariable(name, "one"));
        expectError(ContractRule.NAMING_CONFLICT, NamingConflictException.class,
                "second setEnvironmentVariable of the same name",
                () -> run.builder().setEnvironmentVariable(name, "two"));
    }

    @Test
    default void refusesInvalidEnvironmentVariableNames()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ENVIRONMENT_VARIABLES)) {
            return;
        }
        KitRun run = newRun(payloads().silent());
        for (String name : payloads().invalidEnvironmentVariableNames()) {
            expectError(ContractRule.INVALID_NAME, MalformedPayloadException.class,
                    "setEnvironmentVariable(\"" + name + "\")",
                    () -> run.builder().setEnvironmentVariable(name, "value"));
        }
    }
}
