package dev.taskyard.engine.process;

/** The whole kit with every protection of the process engine: fresh accounts, cgroups and bubblewrap, all required. */
class BubblewrapContractTest
        extends ProcessEngineContractTest
{
    @Override
    protected String isolation()
    {
        return "\"runAs\": \"fresh\", \"cgroups\": \"required\", \"bubblewrap\": \"required\"";
    }
}
