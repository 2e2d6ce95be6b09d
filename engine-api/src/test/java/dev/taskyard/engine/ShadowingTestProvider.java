package dev.taskyard.engine;

/**
 * Claims the name of {@link ServiceLoadedTestProvider}; deliberately not listed in the test class path's service file,
 * only in the one a test writes for its own class loader.
 */
public class ShadowingTestProvider
        implements EngineProvider
{
    @Override
    public String name()
    {
        return ServiceLoadedTestProvider.NAME;
    }

    @Override
    public Engine createEngine(EngineOptions options)
    {
        return new StubEngine();
    }
}
