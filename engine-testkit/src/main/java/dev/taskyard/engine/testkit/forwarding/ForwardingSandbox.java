package dev.taskyard.engine.testkit.forwarding;

import java.util.List;

import dev.taskyard.engine.Display;
import dev.taskyard.engine.DisplayConnection;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.Shell;

import static java.util.Objects.requireNonNull;

/** A sandbox that forwards every call to {@link #delegate}; its result set passes through {@link #wrap}. */
public class ForwardingSandbox
        implements Sandbox
{
    protected final Sandbox delegate;

    public ForwardingSandbox(Sandbox delegate)
    {
        this.delegate = requireNonNull(delegate, "delegate is null");
    }

    @Override
    public ResultSet waitForResult()
            throws EngineException, InterruptedException
    {
        return wrap(delegate.waitForResult());
    }

    /**
     * Decorates the result set {@link #waitForResult()} returns; returns it unchanged by default. Called on every
     * call of {@code waitForResult}: an override that makes a new object each time breaks the rule that every call
     * returns the same result set, unless the test means to.
     */
    protected ResultSet wrap(ResultSet result)
    {
        return result;
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
    public SandboxHandle handle()
            throws EngineException
    {
        return delegate.handle();
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
