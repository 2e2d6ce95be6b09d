package dev.taskyard.engine.testkit.selftest;

import java.io.InputStream;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Display;
import dev.taskyard.engine.DisplayConnection;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.schema.JsonSchema;

/** Decorators that forward every call; a broken engine overrides the one it breaks. */
final class Forwarding
{
    private Forwarding() {}

    /** An engine whose sandboxes are all passed through {@code decorator}. */
    static Engine decorateSandboxes(Engine engine, java.util.function.UnaryOperator<Sandbox> decorator)
    {
        return new ForwardingEngine(engine)
        {
            @Override
            SandboxBuilder wrap(SandboxBuilder builder)
            {
                return new ForwardingSandboxBuilder(builder)
                {
                    @Override
                    Sandbox wrap(Sandbox sandbox)
                    {
                        return decorator.apply(sandbox);
                    }
                };
            }
        };
    }

    static class ForwardingEngine
            implements Engine
    {
        final Engine delegate;

        ForwardingEngine(Engine delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public JsonSchema payloadSchema()
        {
            return delegate.payloadSchema();
        }

        @Override
        public Capabilities capabilities()
        {
            return delegate.capabilities();
        }

        @Override
        public SandboxBuilder newSandboxBuilder(SandboxOptions options)
                throws EngineException
        {
            return wrap(delegate.newSandboxBuilder(options));
        }

        SandboxBuilder wrap(SandboxBuilder builder)
        {
            return builder;
        }

        @Override
        public JsonSchema volumeSchema()
        {
            return delegate.volumeSchema();
        }

        @Override
        public Volume newVolume(JsonNode options)
                throws EngineException
        {
            return delegate.newVolume(options);
        }

        @Override
        public void dispose()
                throws EngineException
        {
            delegate.dispose();
        }
    }

    static class ForwardingSandboxBuilder
            implements SandboxBuilder
    {
        final SandboxBuilder delegate;

        ForwardingSandboxBuilder(SandboxBuilder delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public void setEnvironmentVariable(String name, String value)
                throws EngineException
        {
            delegate.setEnvironmentVariable(name, value);
        }

        @Override
        public void attachVolume(String mountPoint, Volume volume, boolean readOnly)
                throws EngineException
        {
            delegate.attachVolume(mountPoint, volume, readOnly);
        }

        @Override
        public void attachProxy(String name, ProxyHandler handler)
                throws EngineException
        {
            delegate.attachProxy(name, handler);
        }

        @Override
        public Sandbox startSandbox()
                throws EngineException
        {
            return wrap(delegate.startSandbox());
        }

        Sandbox wrap(Sandbox sandbox)
        {
            return sandbox;
        }

        @Override
        public void discard()
                throws EngineException
        {
            delegate.discard();
        }
    }

    static class ForwardingSandbox
            implements Sandbox
    {
        final Sandbox delegate;

        ForwardingSandbox(Sandbox delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public ResultSet waitForResult()
                throws EngineException, InterruptedException
        {
            return delegate.waitForResult();
        }

        @Override
        public void abort()
                throws EngineException
        {
            delegate.abort();
        }

        @Override
        public void kill()
                throws EngineException
        {
            delegate.kill();
        }

        @Override
        public Shell newShell(List<String> command, boolean tty)
                throws EngineException
        {
            return delegate.newShell(command, tty);
        }

        @Override
        public List<Display> listDisplays()
                throws EngineException
        {
            return delegate.listDisplays();
        }

        @Override
        public DisplayConnection openDisplay(String name)
                throws EngineException
        {
            return delegate.openDisplay(name);
        }
    }

    static class ForwardingResultSet
            implements ResultSet
    {
        final ResultSet delegate;

        ForwardingResultSet(ResultSet delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public boolean success()
        {
            return delegate.success();
        }

        @Override
        public Termination termination()
        {
            return delegate.termination();
        }

        @Override
        public InputStream extractFile(String path)
                throws EngineException
        {
            return delegate.extractFile(path);
        }

        @Override
        public void extractFolder(String path, FileHandler handler)
                throws EngineException
        {
            delegate.extractFolder(path, handler);
        }

        @Override
        public void dispose()
                throws EngineException
        {
            delegate.dispose();
        }
    }
}
