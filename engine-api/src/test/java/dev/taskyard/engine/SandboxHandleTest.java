package dev.taskyard.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SandboxHandleTest
{
    @Test
    void dataIsCappedInUtf8Bytes()
    {
        assertThat(new SandboxHandle("process", "x".repeat(SandboxHandle.MAX_DATA_BYTES)).data())
                .hasSize(SandboxHandle.MAX_DATA_BYTES);
        // 2 bytes per character in UTF-8: half as many fit
        assertThatThrownBy(() -> new SandboxHandle("process", "é".repeat(SandboxHandle.MAX_DATA_BYTES / 2 + 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than " + SandboxHandle.MAX_DATA_BYTES);
    }

    @Test
    void engineNameIsRequired()
    {
        assertThatThrownBy(() -> new SandboxHandle("", "{}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SandboxHandle("e".repeat(65), "{}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SandboxHandle(null, "{}")).isInstanceOf(NullPointerException.class)
                .hasMessage("engine is null");
    }

    @Test
    void defaultsRefuseRecovery()
    {
        Sandbox sandbox = new Sandbox()
        {
            @Override
            public ResultSet waitForResult()
            {
                throw new UnsupportedOperationException();
            }

            @Override
            public void abort()
            {
            }

            @Override
            public void kill()
            {
            }
        };
        assertThatThrownBy(sandbox::handle).isInstanceOf(FeatureNotSupportedException.class);
        TaskContext context = TaskContext.builder().build();
        try {
            assertThatThrownBy(() -> new RecoveryOptions(new SandboxHandle("x", "{}"), context, -1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        finally {
            context.dispose();
        }
    }
}
