package dev.taskyard.engine.testkit.selftest;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.testkit.forwarding.ForwardingEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingResultSet;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandbox;
import dev.taskyard.engine.testkit.selftest.BrokenEngines.BrokenProvider;

/** Broken engines for the recovery rules: each is the mock (which implements recovery) with one rule broken. */
public final class RecoveryBrokenEngines
{
    private RecoveryBrokenEngines() {}

    /** An engine whose recovered sandboxes pass through {@code decorator}. */
    private static Engine decoratingRecovered(Engine engine, java.util.function.UnaryOperator<Sandbox> decorator)
    {
        return new ForwardingEngine(engine)
        {
            @Override
            protected Sandbox wrapRecovered(Sandbox sandbox)
            {
                return decorator.apply(sandbox);
            }
        };
    }

    /** A recovered sandbox replays the task's output from byte 0 whatever the caller stored. */
    public static final class RecoveryReplaysWholeLog
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-recover-replays-log";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return new ForwardingEngine(engine)
            {
                @Override
                public Sandbox recoverSandbox(RecoveryOptions recovery)
                        throws EngineException
                {
                    return delegate.recoverSandbox(new RecoveryOptions(recovery.handle(), recovery.context(), 0));
                }
            };
        }
    }

    /** A recovered task reports success whatever its exit. */
    public static final class RecoveredAlwaysSucceeds
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-recover-success";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingRecovered(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                private final AtomicReference<ResultSet> wrapped = new AtomicReference<>();

                @Override
                protected ResultSet wrap(ResultSet result)
                {
                    return wrapped.updateAndGet(current -> current != null ? current : new ForwardingResultSet(result)
                    {
                        @Override
                        public boolean success()
                        {
                            return true;
                        }
                    });
                }
            });
        }
    }

    /** A gone task is reported as an internal error, not resource-not-found. */
    public static final class GoneAsInternalError
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-recover-gone";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return new ForwardingEngine(engine)
            {
                @Override
                public Sandbox recoverSandbox(RecoveryOptions recovery)
                        throws EngineException
                {
                    try {
                        return delegate.recoverSandbox(recovery);
                    }
                    catch (ResourceNotFoundException e) {
                        throw new NonFatalInternalErrorException("lost the task", e);
                    }
                }
            };
        }
    }

    /** Aborting a recovered sandbox detaches from the task instead of ending it, and keeps its slot. */
    public static final class AbortDetaches
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-recover-abort";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingRecovered(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public void abort()
                {
                }

                @Override
                public ResultSet waitForResult()
                        throws EngineException
                {
                    throw new dev.taskyard.engine.SandboxAbortedException("detached");
                }
            });
        }
    }

    /** Every handle() call gives a different handle. */
    public static final class UnstableHandle
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-unstable-handle";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            AtomicInteger calls = new AtomicInteger();
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public SandboxHandle handle()
                        throws EngineException
                {
                    SandboxHandle handle = delegate.handle();
                    return new SandboxHandle(handle.engine(), handle.data() + " ".repeat(calls.incrementAndGet() % 4));
                }
            });
        }
    }
}
