package dev.taskyard.engine.mock;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.schema.JsonSchema;

/**
 * Provides the scripted reference engine {@code mock}: it implements every optional feature of the contract in
 * memory, passes the whole kit, and is what plugin and worker tests run on. See {@link MockEngine} for the payload.
 */
public class MockEngineProvider
        implements EngineProvider
{
    /** The name the provider registers; also the engine of the mock's sandbox handles. */
    public static final String NAME = "mock";

    private static final JsonSchema CONFIG_SCHEMA =
            JsonSchema.read(MockEngineProvider.class.getResourceAsStream("config.schema.json"), "config.schema.json");

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG_SCHEMA;
    }

    @Override
    public Engine createEngine(EngineOptions options)
    {
        return new MockEngine(options.context(), options.config().path("maxConcurrency").asInt(0));
    }
}
