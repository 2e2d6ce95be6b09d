package dev.taskyard.worker.testing;

import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.schema.JsonSchema;

/**
 * Wraps the mock engine and injects the faults the mock cannot script, chosen by the payload's {@code argument}:
 * {@code fatal-on-build} (newSandboxBuilder), {@code malformed-on-start} (startSandbox) and {@code fatal-on-wait}
 * (waitForResult). Everything else is the mock's behaviour. Thread-safe.
 */
public final class FaultyEngine
        implements Engine
{
    private final Engine mock;

    public FaultyEngine(Engine mock)
    {
        this.mock = mock;
    }

    @Override
    public JsonSchema payloadSchema()
    {
        return mock.payloadSchema();
    }

    @Override
    public Capabilities capabilities()
    {
        return mock.capabilities();
    }

    @Override
    public SandboxBuilder newSandboxBuilder(SandboxOptions options)
            throws EngineException
    {
        String fault = options.payload().path("argument").asText();
        if (fault.equals("fatal-on-build")) {
            throw new FatalInternalErrorException("injected: the engine broke while preparing a sandbox");
        }
        SandboxBuilder builder = mock.newSandboxBuilder(options);
        return new SandboxBuilder()
        {
            @Override
            public void setEnvironmentVariable(String name, String value)
                    throws EngineException
            {
                builder.setEnvironmentVariable(name, value);
            }

            @Override
            public Sandbox startSandbox()
                    throws EngineException
            {
                if (fault.equals("malformed-on-start")) {
                    builder.discard();
                    throw new MalformedPayloadException("injected: the image does not exist");
                }
                Sandbox sandbox = builder.startSandbox();
                if (!fault.equals("fatal-on-wait")) {
                    return sandbox;
                }
                return new Sandbox()
                {
                    @Override
                    public ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        sandbox.waitForResult().dispose();
                        throw new FatalInternalErrorException("injected: the engine lost the task");
                    }

                    @Override
                    public void abort()
                            throws EngineException
                    {
                        sandbox.abort();
                    }

                    @Override
                    public void kill()
                            throws EngineException
                    {
                        sandbox.kill();
                    }
                };
            }

            @Override
            public void discard()
                    throws EngineException
            {
                builder.discard();
            }
        };
    }

    @Override
    public void dispose()
            throws EngineException
    {
        mock.dispose();
    }
}
