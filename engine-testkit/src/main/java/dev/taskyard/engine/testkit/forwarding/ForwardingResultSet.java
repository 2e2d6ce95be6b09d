package dev.taskyard.engine.testkit.forwarding;

import java.io.InputStream;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Termination;

import static java.util.Objects.requireNonNull;

/** A result set that forwards every call to {@link #delegate}. */
public class ForwardingResultSet
        implements ResultSet
{
    protected final ResultSet delegate;

    public ForwardingResultSet(ResultSet delegate)
    {
        this.delegate = requireNonNull(delegate, "delegate is null");
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
