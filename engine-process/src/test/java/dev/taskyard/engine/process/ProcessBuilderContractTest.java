package dev.taskyard.engine.process;

/**
 * The whole kit with processes started the fallback way ({@code ProcessBuilder} and {@code setsid}), which an
 * engine takes where {@code posix_spawn} cannot be bound; the other contract classes use {@code posix_spawn}.
 */
class ProcessBuilderContractTest
        extends ProcessEngineContractTest
{
    @Override
    protected String isolation()
    {
        return "\"spawn\": \"processBuilder\"";
    }
}
