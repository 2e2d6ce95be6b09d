package dev.taskyard.plugin.builtin;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.testkit.mock.MockEngineProvider;

/**
 * {@code json-mock}: the mock engine, except that {@code extractFile("/json/TEXT")} returns {@code TEXT}, so that
 * tests can make a task "write" any content.
 */
final class JsonFilesEngineProvider
        implements EngineProvider
{
    private final MockEngineProvider mock = new MockEngineProvider();

    @Override
    public String name()
    {
        return "json-mock";
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
        Engine engine = mock.createEngine(options);
        return new Engine()
        {
            @Override
            public JsonSchema payloadSchema()
            {
                return engine.payloadSchema();
            }

            @Override
            public Capabilities capabilities()
            {
                return engine.capabilities();
            }

            @Override
            public SandboxBuilder newSandboxBuilder(SandboxOptions sandboxOptions)
                    throws EngineException
            {
                SandboxBuilder builder = engine.newSandboxBuilder(sandboxOptions);
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
                        Sandbox sandbox = builder.startSandbox();
                        return new Sandbox()
                        {
                            @Override
                            public ResultSet waitForResult()
                                    throws EngineException, InterruptedException
                            {
                                return files(sandbox.waitForResult());
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
                engine.dispose();
            }
        };
    }

    private static ResultSet files(ResultSet result)
    {
        return new ResultSet()
        {
            @Override
            public boolean success()
            {
                return result.success();
            }

            @Override
            public Termination termination()
            {
                return result.termination();
            }

            @Override
            public InputStream extractFile(String path)
                    throws EngineException
            {
                if (path.startsWith("/json/")) {
                    return new ByteArrayInputStream(path.substring("/json/".length()).getBytes(StandardCharsets.UTF_8));
                }
                return result.extractFile(path);
            }

            @Override
            public void extractFolder(String path, FileHandler handler)
                    throws EngineException
            {
                result.extractFolder(path, handler);
            }

            @Override
            public void dispose()
                    throws EngineException
            {
                result.dispose();
            }
        };
    }
}
