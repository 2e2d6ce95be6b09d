package dev.taskyard.engine.process;

/**
 * The whole kit with the process engine's isolation: a fresh account per task and cgroups (both required: CI runs as
 * root, where this must work).
 */
class IsolatedContractTest
        extends ProcessEngineContractTest
{
    @Override
    protected String isolation()
    {
        return "\"runAs\": \"fresh\", \"cgroups\": \"required\"";
    }
}
