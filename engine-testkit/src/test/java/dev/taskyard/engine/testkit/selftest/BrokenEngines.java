package dev.taskyard.engine.testkit.selftest;

import java.io.ByteArrayInputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.mock.MockEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingResultSet;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandbox;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandboxBuilder;
import dev.taskyard.engine.mock.MockEngineProvider;

/**
 * The mock engine, each time with one deliberate contract violation, registered under {@code broken-*} names. The
 * kit must fail every one of them with a message naming the rule broken.
 */
public final class BrokenEngines
{
    private BrokenEngines() {}

    /** Base: the mock, decorated by {@link #wrap}. */
    public abstract static class BrokenProvider
            implements EngineProvider
    {
        private final MockEngineProvider mock = new MockEngineProvider();

        @Override
        public JsonSchema configSchema()
        {
            return mock.configSchema();
        }

        @Override
        public Engine createEngine(EngineOptions options)
        {
            return wrap(mock.createEngine(options), options);
        }

        abstract Engine wrap(Engine engine, EngineOptions options);
    }

    /** Every waitForResult returns a new ResultSet. */
    public static final class NewResultSetPerWait
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-new-result-set";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        return new ForwardingResultSet(delegate.waitForResult());
                    }
                };
            });
        }
    }

    /** abort after completion succeeds, and waitForResult then reports aborted. */
    public static final class AbortAfterCompletionSucceeds
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-abort-after-completion";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                AtomicBoolean claimedAborted = new AtomicBoolean();
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public void abort()
                            throws EngineException
                    {
                        try {
                            delegate.abort();
                        }
                        catch (SandboxTerminatedException e) {
                            claimedAborted.set(true);
                            try {
                                delegate.waitForResult().dispose();
                            }
                            catch (InterruptedException interrupted) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }

                    @Override
                    public ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        if (claimedAborted.get()) {
                            throw new SandboxAbortedException("aborted");
                        }
                        return delegate.waitForResult();
                    }
                };
            });
        }
    }

    /** setEnvironmentVariable checks and declares without a lock, so racing threads all "win". */
    public static final class UnsynchronisedBuilder
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-unsynchronised-builder";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return new ForwardingEngine(engine)
            {
                @Override
                protected SandboxBuilder wrap(SandboxBuilder builder)
                {
                    Map<String, String> declared = new HashMap<>();
                    return new ForwardingSandboxBuilder(builder)
                    {
                        @Override
                        public void setEnvironmentVariable(String name, String value)
                                throws EngineException
                        {
                            if (declared.containsKey(name)) {
                                throw new NamingConflictException(name + " is already declared");
                            }
                            try {
                                Thread.sleep(2);
                            }
                            catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            declared.put(name, value);
                            try {
                                delegate.setEnvironmentVariable(name, value);
                            }
                            catch (NamingConflictException ignored) {
                                // the race is lost silently
                            }
                        }
                    };
                }
            };
        }
    }

    /** Output written without a trailing newline right before exit is lost. */
    public static final class LostLastLine
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-lost-last-line";
        }

        @Override
        public Engine createEngine(EngineOptions options)
        {
            return new MockEngine(options.context(), options.config().path("maxConcurrency").asInt(0))
            {
                @Override
                protected void writeLog(TaskContext task, String text)
                {
                    int end = text.lastIndexOf('\n');
                    if (end >= 0) {
                        super.writeLog(task, text.substring(0, end + 1));
                    }
                }
            };
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return engine;
        }
    }

    /** extractFolder also reports a directory. */
    public static final class FolderWithDirectories
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-folder-directories";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                return new ForwardingSandbox(sandbox)
                {
                    private volatile ResultSet wrapped;

                    @Override
                    public synchronized ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        if (wrapped == null) {
                            wrapped = new ForwardingResultSet(delegate.waitForResult())
                            {
                                @Override
                                public void extractFolder(String path, FileHandler handler)
                                        throws EngineException
                                {
                                    delegate.extractFolder(path, handler);
                                    try {
                                        handler.handle("sub", new ByteArrayInputStream(new byte[0]));
                                    }
                                    catch (Exception e) {
                                        throw new dev.taskyard.engine.HandlerInterruptedException("handler failed", e);
                                    }
                                }
                            };
                        }
                        return wrapped;
                    }
                };
            });
        }
    }

    /** Every builder leaves a tracked resource behind. */
    public static final class LeakAfterDispose
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-leak";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return new ForwardingEngine(engine)
            {
                @Override
                public SandboxBuilder newSandboxBuilder(SandboxOptions sandboxOptions)
                        throws EngineException
                {
                    SandboxBuilder builder = delegate.newSandboxBuilder(sandboxOptions);
                    options.context().tracker().acquire("leaked-handle", sandboxOptions.context().taskId());
                    return builder;
                }
            };
        }
    }

    /** After kill, waitForResult raises an error instead of yielding a failed result. */
    public static final class KillRaisesError
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-kill-error";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                AtomicBoolean killed = new AtomicBoolean();
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public void kill()
                            throws EngineException
                    {
                        delegate.kill();
                        killed.set(true);
                    }

                    @Override
                    public ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        ResultSet result = delegate.waitForResult();
                        if (killed.get()) {
                            throw new NonFatalInternalErrorException("the task was killed");
                        }
                        return result;
                    }
                };
            });
        }
    }

    /** kill after termination returns normally (the Go docker and mock engines' bug). */
    public static final class KillAfterTerminationSucceeds
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-kill-after-termination";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public void kill()
                            throws EngineException
                    {
                        try {
                            delegate.kill();
                        }
                        catch (SandboxTerminatedException ignored) {
                            // wrongly swallowed
                        }
                    }
                };
            });
        }
    }
}
