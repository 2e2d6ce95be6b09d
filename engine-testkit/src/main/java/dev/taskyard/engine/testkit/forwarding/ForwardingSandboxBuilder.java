package dev.taskyard.engine.testkit.forwarding;

import java.util.Optional;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.Volume;

import static java.util.Objects.requireNonNull;

/** A builder that forwards every call to {@link #delegate}; the sandbox it starts passes through {@link #wrap}. */
public class ForwardingSandboxBuilder
        implements SandboxBuilder
{
    protected final SandboxBuilder delegate;

    public ForwardingSandboxBuilder(SandboxBuilder delegate)
    {
        this.delegate = requireNonNull(delegate, "delegate is null");
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
    public Optional<SandboxHandle> handle()
            throws EngineException
    {
        return delegate.handle();
    }

    @Override
    public Sandbox startSandbox()
            throws EngineException
    {
        return wrap(delegate.startSandbox());
    }

    /** Decorates the started sandbox; returns it unchanged by default. */
    protected Sandbox wrap(Sandbox sandbox)
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
