package dev.taskyard.plugin.builtin;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.testkit.forwarding.ForwardingEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingResultSet;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandbox;
import dev.taskyard.engine.mock.MockEngineProvider;

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
        return ForwardingEngine.decoratingSandboxes(mock.createEngine(options), JsonFilesEngineProvider::withJsonFiles);
    }

    private static Sandbox withJsonFiles(Sandbox sandbox)
    {
        return new ForwardingSandbox(sandbox)
        {
            @Override
            protected ResultSet wrap(ResultSet result)
            {
                return new ForwardingResultSet(result)
                {
                    @Override
                    public InputStream extractFile(String path)
                            throws EngineException
                    {
                        if (path.startsWith("/json/")) {
                            return new ByteArrayInputStream(path.substring("/json/".length())
                                    .getBytes(StandardCharsets.UTF_8));
                        }
                        return delegate.extractFile(path);
                    }
                };
            }
        };
    }
}
