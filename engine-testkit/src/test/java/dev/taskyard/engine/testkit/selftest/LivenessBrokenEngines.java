package dev.taskyard.engine.testkit.selftest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import dev.taskyard.engine.DisplayConnection;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.mock.MockEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandbox;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandboxBuilder;
import dev.taskyard.engine.testkit.selftest.BrokenEngines.BrokenProvider;

/**
 * Broken engines for the rules about something that must happen in time: a killed sandbox's displays close, the log
 * is readable while the task runs, a cancelled task stops, no call hangs. The kit catches each within its call
 * timeout, which the self-test lowers for them ({@code KitSelfTest.Broken#withCallTimeout}).
 */
public final class LivenessBrokenEngines
{
    private LivenessBrokenEngines() {}

    /** kill leaves an open display connection open: its input blocks once the display is gone, until the
     * client closes it. */
    public static final class DisplayLeftOpen
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-display-left-open";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public DisplayConnection openDisplay(String name)
                        throws EngineException
                {
                    return new LingeringConnection(delegate.openDisplay(name));
                }
            });
        }
    }

    /** A display connection whose input, at the end of the display's stream, waits for the client to close it. */
    private static final class LingeringConnection
            implements DisplayConnection
    {
        private final DisplayConnection connection;
        private final CountDownLatch closed = new CountDownLatch(1);
        private final InputStream input = new InputStream()
        {
            @Override
            public int read()
                    throws IOException
            {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length)
                    throws IOException
            {
                int read;
                try {
                    read = connection.input().read(buffer, offset, length);
                }
                catch (IOException e) {
                    read = -1;
                }
                if (read < 0) {
                    awaitClose();
                }
                return read;
            }
        };

        LingeringConnection(DisplayConnection connection)
        {
            this.connection = connection;
        }

        private void awaitClose()
                throws IOException
        {
            try {
                closed.await();
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        @Override
        public InputStream input()
        {
            return input;
        }

        @Override
        public OutputStream output()
        {
            return connection.output();
        }

        @Override
        public void close()
                throws IOException
        {
            closed.countDown();
            connection.close();
        }
    }

    /** Task output reaches the log only when waitForResult returns: nothing can be read while the task runs. */
    public static final class LogWrittenAtExit
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-log-at-exit";
        }

        @Override
        public Engine createEngine(EngineOptions options)
        {
            Map<TaskContext, String> pending = new ConcurrentHashMap<>();
            Engine mock = new MockEngine(options.context(), options.config().path("maxConcurrency").asInt(0))
            {
                @Override
                protected void writeLog(TaskContext task, String text)
                {
                    pending.merge(task, text, String::concat);
                }
            };
            return new ForwardingEngine(mock)
            {
                @Override
                public SandboxBuilder newSandboxBuilder(SandboxOptions sandboxOptions)
                        throws EngineException
                {
                    TaskContext task = sandboxOptions.context();
                    return new ForwardingSandboxBuilder(delegate.newSandboxBuilder(sandboxOptions))
                    {
                        @Override
                        protected Sandbox wrap(Sandbox sandbox)
                        {
                            return new ForwardingSandbox(sandbox)
                            {
                                @Override
                                public ResultSet waitForResult()
                                        throws EngineException, InterruptedException
                                {
                                    try {
                                        return delegate.waitForResult();
                                    }
                                    finally {
                                        String text = pending.remove(task);
                                        if (text != null) {
                                            task.log().write(text);
                                        }
                                    }
                                }
                            };
                        }
                    };
                }
            };
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return engine;
        }
    }

    /**
     * The sandbox never learns of cancellation: the mock gets a context of its own, sharing the task's identity,
     * deadline and log but not its cancellation, so a cancelled task runs on.
     */
    public static final class IgnoresCancellation
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-ignores-cancellation";
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
                    TaskContext task = sandboxOptions.context();
                    TaskContext deaf = TaskContext.builder()
                            .taskId(task.taskId())
                            .runId(task.runId())
                            .deadline(task.deadline().orElse(null))
                            .logWrapper(own -> {
                                own.dispose();
                                return task.log();
                            })
                            .build();
                    return delegate.newSandboxBuilder(new SandboxOptions(sandboxOptions.payload(), deaf));
                }
            };
        }
    }

    /** kill waits for the task to end on its own before it signals it: the call hangs as long as the task runs. */
    public static final class KillWaitsForExit
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-kill-waits-for-exit";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public void kill()
                        throws EngineException
                {
                    try {
                        delegate.waitForResult();
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new NonFatalInternalErrorException("interrupted while waiting for the task to exit");
                    }
                    delegate.kill();
                }
            });
        }
    }
}
