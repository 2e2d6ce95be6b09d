package dev.taskyard.engine.testkit.forwarding;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.mock.MockEngineProvider;

/**
 * {@code faulty-mock}: the mock engine wrapped in {@link FaultyEngine}. Not registered with
 * {@link java.util.ServiceLoader}; register it, e.g.
 * {@code EngineRegistry.load().register(new FaultyEngineProvider())}.
 */
public final class FaultyEngineProvider
        implements EngineProvider
{
    private final MockEngineProvider mock = new MockEngineProvider();

    @Override
    public String name()
    {
        return "faulty-mock";
    }

    @Override
    public JsonSchema configSchema()
    {
        return mock.configSchema();
    }

    @Override
    public Engine createEngine(EngineOptions options)
            throws EngineException
    {
        return new FaultyEngine(mock.createEngine(options));
    }
}
