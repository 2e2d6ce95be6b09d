package dev.taskyard.engine;

import dev.taskyard.engine.schema.JsonSchema;

/** An engine that does nothing, for registry tests. */
public class StubEngine
        implements Engine
{
    private final EngineOptions options;

    public StubEngine()
    {
        this(null);
    }

    public StubEngine(EngineOptions options)
    {
        this.options = options;
    }

    /** The options the engine was created with, if any. */
    public EngineOptions options()
    {
        return options;
    }

    @Override
    public JsonSchema payloadSchema()
    {
        return JsonSchema.emptyObject();
    }

    @Override
    public Capabilities capabilities()
    {
        return Capabilities.of(0);
    }

    @Override
    public SandboxBuilder newSandboxBuilder(SandboxOptions options)
            throws EngineException
    {
        throw new FeatureNotSupportedException("the stub engine runs nothing");
    }

    @Override
    public void dispose()
    {
    }
}
