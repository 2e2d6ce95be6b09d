package dev.taskyard.engine.testkit.forwarding;

import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.schema.JsonSchema;

import static java.util.Objects.requireNonNull;

/**
 * An engine that forwards every call to {@link #delegate}; the builders it makes pass through {@link #wrap}. Subclasses
 * override what they change. Thread-safe if the delegate is and the overrides are.
 */
public class ForwardingEngine
        implements Engine
{
    protected final Engine delegate;

    public ForwardingEngine(Engine delegate)
    {
        this.delegate = requireNonNull(delegate, "delegate is null");
    }

    /** An engine like {@code engine} whose sandboxes are all passed through {@code decorator} when they start. */
    public static Engine decoratingSandboxes(Engine engine, UnaryOperator<Sandbox> decorator)
    {
        requireNonNull(decorator, "decorator is null");
        return new ForwardingEngine(engine)
        {
            @Override
            protected SandboxBuilder wrap(SandboxBuilder builder)
            {
                return new ForwardingSandboxBuilder(builder)
                {
                    @Override
                    protected Sandbox wrap(Sandbox sandbox)
                    {
                        return decorator.apply(sandbox);
                    }
                };
            }

            @Override
            protected Sandbox wrapRecovered(Sandbox sandbox)
            {
                return decorator.apply(sandbox);
            }
        };
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

    /** Decorates every builder the delegate makes; returns it unchanged by default. */
    protected SandboxBuilder wrap(SandboxBuilder builder)
    {
        return builder;
    }

    @Override
    public Sandbox recoverSandbox(RecoveryOptions options)
            throws EngineException
    {
        return wrapRecovered(delegate.recoverSandbox(options));
    }

    @Override
    public void retainRecoverable(java.util.Collection<SandboxHandle> handles)
    {
        delegate.retainRecoverable(handles);
    }

    /** Decorates every sandbox the delegate recovers; returns it unchanged by default. */
    protected Sandbox wrapRecovered(Sandbox sandbox)
    {
        return sandbox;
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
