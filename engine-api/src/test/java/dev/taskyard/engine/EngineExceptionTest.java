package dev.taskyard.engine;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import dev.taskyard.engine.schema.Violation;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class EngineExceptionTest
{
    @Test
    void everyExceptionCarriesItsCodeMessageAndCause()
    {
        Map<ErrorCode, BiFunction<String, Throwable, EngineException>> factories = Map.ofEntries(
                entry(ErrorCode.FEATURE_NOT_SUPPORTED, FeatureNotSupportedException::new),
                entry(ErrorCode.MALFORMED_PAYLOAD, (m, c) -> new MalformedPayloadException(List.of(m), c)),
                entry(ErrorCode.NON_FATAL_INTERNAL_ERROR, NonFatalInternalErrorException::new),
                entry(ErrorCode.FATAL_INTERNAL_ERROR, FatalInternalErrorException::new),
                entry(ErrorCode.SANDBOX_TERMINATED, SandboxTerminatedException::new),
                entry(ErrorCode.SANDBOX_ABORTED, SandboxAbortedException::new),
                entry(ErrorCode.BUILDER_DISCARDED, BuilderDiscardedException::new),
                entry(ErrorCode.RESOURCE_NOT_FOUND, ResourceNotFoundException::new),
                entry(ErrorCode.NAMING_CONFLICT, NamingConflictException::new),
                entry(ErrorCode.HANDLER_INTERRUPTED, HandlerInterruptedException::new),
                entry(ErrorCode.MAX_CONCURRENCY_EXCEEDED, MaxConcurrencyExceededException::new),
                entry(ErrorCode.SHELL_TERMINATED, ShellTerminatedException::new),
                entry(ErrorCode.SHELL_ABORTED, ShellAbortedException::new),
                entry(ErrorCode.NO_SUCH_DISPLAY, NoSuchDisplayException::new),
                entry(ErrorCode.CANCELED, TaskCanceledException::new));
        assertThat(factories.keySet())
                .containsAll(Arrays.stream(ErrorCode.values()).filter(c -> c != ErrorCode.INVALID_CONFIG).toList());
        IllegalStateException cause = new IllegalStateException("cause");

        factories.forEach((code, factory) -> {
            EngineException error = factory.apply("message", cause);
            assertThat(error.code()).as(code.id()).isEqualTo(code);
            assertThat(error).hasMessage("message").hasCause(cause);
        });
    }

    @Test
    void internalErrorsTellWhetherTheyAreFatal()
    {
        assertThat(new FatalInternalErrorException("x").isFatal()).isTrue();
        assertThat(new NonFatalInternalErrorException("x").isFatal()).isFalse();
    }

    @Test
    void invalidConfigListsItsViolations()
    {
        List<Violation> violations = List.of(new Violation("$", "required", "required property 'root' not found"),
                new Violation("$.max", "minimum", "must have a minimum value of 0"));

        InvalidConfigException error = new InvalidConfigException("engine \"process\"", violations);

        assertThat(error.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(error.component()).isEqualTo("engine \"process\"");
        assertThat(error.violations()).isEqualTo(violations);
        assertThat(error).hasMessage("invalid config for engine \"process\":\n"
                + "  $: required property 'root' not found\n"
                + "  $.max: must have a minimum value of 0");
    }

    @Test
    void errorCodeIdsAreStableAndDistinct()
    {
        assertThat(ErrorCode.MALFORMED_PAYLOAD.id()).isEqualTo("malformed-payload");
        assertThat(ErrorCode.CANCELED).hasToString("canceled");
        assertThat(Arrays.stream(ErrorCode.values()).map(ErrorCode::id))
                .doesNotHaveDuplicates()
                .allMatch(id -> id.matches("[a-z]+(-[a-z]+)*"));
    }

    @Test
    void messageAndCodeAreRequired()
    {
        assertThatThrownBy(() -> new SandboxAbortedException(null)).isInstanceOf(NullPointerException.class);
    }
}
