package dev.taskyard.engine.support;

import dev.taskyard.engine.MalformedPayloadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvironmentVariablesTest
{
    @ParameterizedTest
    @ValueSource(strings = {"A", "_", "PATH", "lower", "_under_score", "A1", "TASKYARD_RUN_ID_2"})
    void portableNamesAreAccepted(String name)
    {
        assertThatCode(() -> EnvironmentVariables.validateName(name)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1A", "A-B", "A=B", "A B", "A.B", "Ä", "A\0", " A", "A\n"})
    void otherNamesAreRefusedWithAnExplanation(String name)
    {
        assertThatThrownBy(() -> EnvironmentVariables.validateName(name))
                .isInstanceOf(MalformedPayloadException.class)
                .hasMessageContaining("\"" + name + "\"")
                .hasMessageContaining("letter or underscore");
    }

    @Test
    void nullNameIsRefused()
    {
        assertThatThrownBy(() -> EnvironmentVariables.validateName(null)).isInstanceOf(MalformedPayloadException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a=b", "spaces and\nnewlines", "ünïcödé ✓"})
    void valuesWithoutNulAreAccepted(String value)
    {
        assertThatCode(() -> EnvironmentVariables.validateValue("NAME", value)).doesNotThrowAnyException();
    }

    @Test
    void nullOrNulValuesAreRefused()
    {
        assertThatThrownBy(() -> EnvironmentVariables.validateValue("NAME", "a\0b"))
                .isInstanceOf(MalformedPayloadException.class)
                .hasMessageContaining("NAME");
        assertThatThrownBy(() -> EnvironmentVariables.validateValue("NAME", null))
                .isInstanceOf(MalformedPayloadException.class);
    }
}
