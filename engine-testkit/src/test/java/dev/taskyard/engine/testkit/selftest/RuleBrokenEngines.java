package dev.taskyard.engine.testkit.selftest;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Display;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.ProxyRequest;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.ShellAbortedException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.mock.MockEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingResultSet;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandbox;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandboxBuilder;
import dev.taskyard.engine.testkit.selftest.BrokenEngines.BrokenProvider;

import static dev.taskyard.engine.testkit.selftest.MoreBrokenEngines.decoratingResultSets;

/**
 * Broken engines for the rules the kit checked before issue 17 without a broken engine to prove it: each is the mock
 * with exactly that rule broken.
 */
public final class RuleBrokenEngines
{
    private RuleBrokenEngines() {}

    /** An engine whose builders pass through {@code decorator}. */
    private static Engine decoratingBuilders(Engine engine, java.util.function.UnaryOperator<SandboxBuilder> decorator)
    {
        return new ForwardingEngine(engine)
        {
            @Override
            protected SandboxBuilder wrap(SandboxBuilder builder)
            {
                return decorator.apply(builder);
            }
        };
    }

    /** A shell forwarding every call to {@link #shell}. */
    private static class ForwardingShell
            implements Shell
    {
        protected final Shell shell;

        ForwardingShell(Shell shell)
        {
            this.shell = shell;
        }

        @Override
        public OutputStream stdin()
        {
            return shell.stdin();
        }

        @Override
        public InputStream stdout()
        {
            return shell.stdout();
        }

        @Override
        public InputStream stderr()
        {
            return shell.stderr();
        }

        @Override
        public void abort()
                throws EngineException
        {
            shell.abort();
        }

        @Override
        public boolean waitFor()
                throws EngineException, InterruptedException
        {
            return shell.waitFor();
        }
    }

    /** A shell reports success whatever its commands' exit. */
    public static final class ShellAlwaysSucceeds
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-shell-exit";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public Shell newShell(List<String> command, boolean tty)
                        throws EngineException
                {
                    return new ForwardingShell(delegate.newShell(command, tty))
                    {
                        @Override
                        public boolean waitFor()
                                throws EngineException, InterruptedException
                        {
                            shell.waitFor();
                            return true;
                        }
                    };
                }
            });
        }
    }

    /** Displays are listed with a size they do not have. */
    public static final class WrongDisplaySize
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-display-size";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public List<Display> listDisplays()
                        throws EngineException
                {
                    return delegate.listDisplays().stream()
                            .map(d -> new Display(d.name(), d.description(), d.width() + 160, d.height())).toList();
                }
            });
        }
    }

    /** waitForResult after an abort reports an internal error instead of sandbox-aborted. */
    public static final class WaitAfterAbortFails
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-wait-after-abort";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public ResultSet waitForResult()
                        throws EngineException, InterruptedException
                {
                    try {
                        return delegate.waitForResult();
                    }
                    catch (SandboxAbortedException e) {
                        throw new NonFatalInternalErrorException("the sandbox is gone");
                    }
                }
            });
        }
    }

    /** A second abort after a successful one reports sandbox-aborted instead of returning. */
    public static final class SecondAbortFails
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-second-abort";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                AtomicBoolean aborted = new AtomicBoolean();
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public void abort()
                            throws EngineException
                    {
                        if (aborted.get()) {
                            throw new SandboxAbortedException("already aborted");
                        }
                        delegate.abort();
                        aborted.set(true);
                    }
                };
            });
        }
    }

    /** newShell after termination reports malformed-payload instead of sandbox-terminated. */
    public static final class ShellAfterTermination
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-shell-after-termination";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public Shell newShell(List<String> command, boolean tty)
                        throws EngineException
                {
                    try {
                        return delegate.newShell(command, tty);
                    }
                    catch (SandboxTerminatedException e) {
                        throw new MalformedPayloadException("cannot start a shell");
                    }
                }
            });
        }
    }

    /** A shell outlives the kill of its sandbox: waitFor reports a plain failure instead of shell-aborted. */
    public static final class KillKeepsShells
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-kill-keeps-shells";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public Shell newShell(List<String> command, boolean tty)
                        throws EngineException
                {
                    return new ForwardingShell(delegate.newShell(command, tty))
                    {
                        @Override
                        public boolean waitFor()
                                throws EngineException, InterruptedException
                        {
                            try {
                                return shell.waitFor();
                            }
                            catch (ShellAbortedException e) {
                                return false;
                            }
                        }
                    };
                }
            });
        }
    }

    /** A second startSandbox returns the sandbox again instead of failing. */
    public static final class StartTwice
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-start-twice";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingBuilders(engine, builder -> {
                AtomicReference<Sandbox> started = new AtomicReference<>();
                return new ForwardingSandboxBuilder(builder)
                {
                    @Override
                    public Sandbox startSandbox()
                            throws EngineException
                    {
                        Sandbox previous = started.get();
                        if (previous != null) {
                            return previous;
                        }
                        Sandbox sandbox = delegate.startSandbox();
                        started.set(sandbox);
                        return sandbox;
                    }
                };
            });
        }
    }

    /** A name declared twice silently replaces the first value. */
    public static final class LastDeclarationWins
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-naming-conflict";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingBuilders(engine, builder -> new ForwardingSandboxBuilder(builder)
            {
                @Override
                public void setEnvironmentVariable(String name, String value)
                        throws EngineException
                {
                    try {
                        delegate.setEnvironmentVariable(name, value);
                    }
                    catch (NamingConflictException ignored) {
                        // the later value is dropped without a word
                    }
                }
            });
        }
    }

    /** Invalid variable names are accepted (and dropped). */
    public static final class InvalidNamesAccepted
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-invalid-name";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingBuilders(engine, builder -> new ForwardingSandboxBuilder(builder)
            {
                @Override
                public void setEnvironmentVariable(String name, String value)
                        throws EngineException
                {
                    try {
                        delegate.setEnvironmentVariable(name, value);
                    }
                    catch (MalformedPayloadException ignored) {
                        // dropped
                    }
                }
            });
        }
    }

    /** Declared variables never reach the task. */
    public static final class LostEnvironment
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-environment";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingBuilders(engine, builder -> new ForwardingSandboxBuilder(builder)
            {
                @Override
                public void setEnvironmentVariable(String name, String value)
                        throws EngineException
                {
                    delegate.setEnvironmentVariable(name, "");
                }
            });
        }
    }

    /** success() is true whatever the exit. */
    public static final class AlwaysSuccess
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-always-success";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> new ForwardingResultSet(result)
            {
                @Override
                public boolean success()
                {
                    delegate.success();
                    return true;
                }
            });
        }
    }

    /** extractFile returns empty content. */
    public static final class EmptyArtifacts
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-empty-artifacts";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> new ForwardingResultSet(result)
            {
                @Override
                public InputStream extractFile(String path)
                        throws EngineException
                {
                    try (InputStream ignored = delegate.extractFile(path)) {
                        return new ByteArrayInputStream(new byte[0]);
                    }
                    catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
        }
    }

    /** A missing file is extracted as an empty one. */
    public static final class MissingFileIsEmpty
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-missing-file";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> new ForwardingResultSet(result)
            {
                @Override
                public InputStream extractFile(String path)
                        throws EngineException
                {
                    try {
                        return delegate.extractFile(path);
                    }
                    catch (ResourceNotFoundException e) {
                        return new ByteArrayInputStream(new byte[0]);
                    }
                }
            });
        }
    }

    /** A failing handler does not interrupt extractFolder: the failure is swallowed. */
    public static final class HandlerFailureSwallowed
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-handler-interrupt";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> new ForwardingResultSet(result)
            {
                @Override
                public void extractFolder(String path, FileHandler handler)
                        throws EngineException
                {
                    try {
                        delegate.extractFolder(path, handler);
                    }
                    catch (HandlerInterruptedException ignored) {
                        // swallowed
                    }
                }
            });
        }
    }

    /** The capabilities do not list displays, although the engine has them. */
    public static final class UndeclaredFeature
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-feature-declaration";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return new ForwardingEngine(engine)
            {
                @Override
                public Capabilities capabilities()
                {
                    Set<Feature> features = EnumSet.copyOf(delegate.capabilities().features());
                    features.remove(Feature.DISPLAYS);
                    return new Capabilities(delegate.capabilities().maxConcurrency(), features);
                }
            };
        }
    }

    /** A payload the engine cannot use is reported as an internal error. */
    public static final class MalformedAsInternalError
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-malformed-payload";
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
                    try {
                        return delegate.newSandboxBuilder(sandboxOptions);
                    }
                    catch (MalformedPayloadException e) {
                        throw new NonFatalInternalErrorException("cannot run it: " + e.getMessage());
                    }
                }
            };
        }
    }

    /** All output goes to the log of the task created last. */
    public static final class SharedLog
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-shared-log";
        }

        @Override
        public Engine createEngine(EngineOptions options)
        {
            AtomicReference<TaskContext> last = new AtomicReference<>();
            Engine mock = new MockEngine(options.context(), options.config().path("maxConcurrency").asInt(0))
            {
                @Override
                protected void writeLog(TaskContext task, String text)
                {
                    super.writeLog(last.get(), text);
                }
            };
            return new ForwardingEngine(mock)
            {
                @Override
                public SandboxBuilder newSandboxBuilder(SandboxOptions sandboxOptions)
                        throws EngineException
                {
                    last.set(sandboxOptions.context());
                    return delegate.newSandboxBuilder(sandboxOptions);
                }
            };
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return engine;
        }
    }

    /** Read-only mounts are mounted read-write. */
    public static final class WritableReadOnlyMount
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-read-only-mount";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingBuilders(engine, builder -> new ForwardingSandboxBuilder(builder)
            {
                @Override
                public void attachVolume(String mountPoint, Volume volume, boolean readOnly)
                        throws EngineException
                {
                    delegate.attachVolume(mountPoint, volume, false);
                }
            });
        }
    }

    /** The proxy name prefix is not stripped from the path the handler sees. */
    public static final class UnstrippedProxyPath
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-proxy-prefix";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingBuilders(engine, builder -> new ForwardingSandboxBuilder(builder)
            {
                @Override
                public void attachProxy(String proxyName, ProxyHandler handler)
                        throws EngineException
                {
                    delegate.attachProxy(proxyName, request -> handler.handle(
                            new ProxyRequest(request.method(), "/" + proxyName + request.path(),
                                    request.headers(), request.body())));
                }
            });
        }
    }
}
