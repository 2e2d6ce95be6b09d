package dev.taskyard.engine;

/** Listed in {@code META-INF/services/dev.taskyard.engine.EngineProvider} of the test class path. */
public class ServiceLoadedTestProvider
        implements EngineProvider
{
    public static final String NAME = "service-loaded-test";

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public Engine createEngine(EngineOptions options)
    {
        return new StubEngine();
    }
}
