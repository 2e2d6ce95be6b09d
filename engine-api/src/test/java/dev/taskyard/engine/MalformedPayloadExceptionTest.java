package dev.taskyard.engine;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MalformedPayloadExceptionTest
{
    @Test
    void mergeConcatenatesMessagesInOrder()
    {
        MalformedPayloadException first = new MalformedPayloadException("image is missing");
        MalformedPayloadException second =
                new MalformedPayloadException(List.of("env A is invalid", "env B is invalid"));
        MalformedPayloadException third = new MalformedPayloadException("artifact path escapes");

        MalformedPayloadException merged = MalformedPayloadException.merge(List.of(first, second, third));

        assertThat(merged.messages())
                .containsExactly("image is missing", "env A is invalid", "env B is invalid", "artifact path escapes");
        assertThat(merged).hasMessage("image is missing; env A is invalid; env B is invalid; artifact path escapes");
        assertThat(merged.getSuppressed()).containsExactly(first, second, third);
        assertThat(merged.code()).isEqualTo(ErrorCode.MALFORMED_PAYLOAD);
    }

    @Test
    void mergeOfOneKeepsItsMessage()
    {
        MalformedPayloadException only = new MalformedPayloadException("bad");

        assertThat(MalformedPayloadException.merge(List.of(only))).hasMessage("bad")
                .satisfies(e -> assertThat(e.messages()).containsExactly("bad"));
    }

    @Test
    void mergeRefusesNothingToMerge()
    {
        assertThatThrownBy(() -> MalformedPayloadException.merge(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MalformedPayloadException.merge(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void messagesAreCopiedAndImmutable()
    {
        List<String> messages = new ArrayList<>(List.of("one", "two"));
        MalformedPayloadException error = new MalformedPayloadException(messages);

        messages.add("three");

        assertThat(error.messages()).containsExactly("one", "two");
        assertThatThrownBy(() -> error.messages().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void messagesMustBePresent()
    {
        assertThatThrownBy(() -> new MalformedPayloadException(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MalformedPayloadException((String) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new MalformedPayloadException(java.util.Arrays.asList("a", null)))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void causeIsKept()
    {
        IllegalStateException cause = new IllegalStateException("root");

        assertThat(new MalformedPayloadException(List.of("m"), cause)).hasCause(cause);
    }
}
