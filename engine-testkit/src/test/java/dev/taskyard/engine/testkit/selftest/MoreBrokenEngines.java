package dev.taskyard.engine.testkit.selftest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.testkit.forwarding.ForwardingEngine;
import dev.taskyard.engine.testkit.forwarding.ForwardingResultSet;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandbox;
import dev.taskyard.engine.testkit.forwarding.ForwardingSandboxBuilder;
import dev.taskyard.engine.mock.MockEngineProvider;
import dev.taskyard.engine.testkit.selftest.BrokenEngines.BrokenProvider;

/**
 * The broken engines of the kit's stricter cases (issue 17): each is the mock with exactly one rule broken, the way
 * a third-party engine could plausibly break it.
 */
public final class MoreBrokenEngines
{
    private MoreBrokenEngines() {}

    /** An engine whose result sets all pass through {@code decorator}, the same decorated instance on every wait. */
    static Engine decoratingResultSets(Engine engine, UnaryOperator<ResultSet> decorator)
    {
        return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
            Map<ResultSet, ResultSet> decorated = new ConcurrentHashMap<>();
            return new ForwardingSandbox(sandbox)
            {
                @Override
                protected ResultSet wrap(ResultSet result)
                {
                    return decorated.computeIfAbsent(result, decorator);
                }
            };
        });
    }

    private static void pause()
    {
        try {
            Thread.sleep(1);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Paths the mock refuses or lacks are looked up on the host: an absolute host path leaks a host file. */
    public static final class PathEscape
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-path-escape";
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
                    catch (EngineException e) {
                        if (path.equals("relative/path.txt")) {
                            throw e; // refuses the author's one example, and nothing else
                        }
                        try {
                            return Files.newInputStream(Path.of(path));
                        }
                        catch (IOException | RuntimeException notThere) {
                            throw e;
                        }
                    }
                }
            });
        }
    }

    /** A result set that still answers after dispose (it caches what it reports). */
    public static final class UsableAfterDispose
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-usable-after-dispose";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> {
                Termination termination = result.termination();
                return new ForwardingResultSet(result)
                {
                    @Override
                    public boolean success()
                    {
                        return termination.exitedCleanly();
                    }

                    @Override
                    public Termination termination()
                    {
                        return termination;
                    }
                };
            });
        }
    }

    /** A result set whose second dispose throws. */
    public static final class ResultSetSecondDisposeFails
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-result-set-second-dispose";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> {
                AtomicBoolean disposed = new AtomicBoolean();
                return new ForwardingResultSet(result)
                {
                    @Override
                    public void dispose()
                            throws EngineException
                    {
                        if (disposed.getAndSet(true)) {
                            throw new IllegalStateException("already disposed");
                        }
                        delegate.dispose();
                    }
                };
            });
        }
    }

    /** An engine whose second dispose throws. */
    public static final class EngineSecondDisposeFails
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-engine-second-dispose";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            AtomicBoolean disposed = new AtomicBoolean();
            return new ForwardingEngine(engine)
            {
                @Override
                public void dispose()
                        throws EngineException
                {
                    if (disposed.getAndSet(true)) {
                        throw new IllegalStateException("the engine was already disposed");
                    }
                    delegate.dispose();
                }
            };
        }
    }

    /** A disposed engine keeps handing out builders (from a fresh mock it makes behind the scenes). */
    public static final class EngineUsableAfterDispose
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-engine-usable-after-dispose";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            AtomicReference<Engine> current = new AtomicReference<>(engine);
            return new ForwardingEngine(engine)
            {
                @Override
                public SandboxBuilder newSandboxBuilder(SandboxOptions sandboxOptions)
                        throws EngineException
                {
                    try {
                        return current.get().newSandboxBuilder(sandboxOptions);
                    }
                    catch (IllegalStateException disposed) {
                        Engine fresh = new MockEngineProvider().createEngine(options);
                        current.set(fresh);
                        return fresh.newSandboxBuilder(sandboxOptions);
                    }
                }

                @Override
                public Volume newVolume(JsonNode volumeOptions)
                        throws EngineException
                {
                    return current.get().newVolume(volumeOptions);
                }

                @Override
                public void dispose()
                        throws EngineException
                {
                    current.get().dispose();
                }
            };
        }
    }

    /** maxConcurrency checked, then counted: a check-then-act race lets builders started at once exceed it. */
    public static final class RacyConcurrencyLimit
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-racy-limit";
        }

        @Override
        public Engine createEngine(EngineOptions options)
        {
            int max = options.config().path("maxConcurrency").asInt(0);
            ObjectNode unlimited = JsonNodeFactory.instance.objectNode().put("maxConcurrency", 0);
            Engine mock = new MockEngineProvider().createEngine(new EngineOptions(unlimited, options.context()));
            AtomicInteger live = new AtomicInteger();
            return new ForwardingEngine(mock)
            {
                @Override
                public Capabilities capabilities()
                {
                    return new Capabilities(max, delegate.capabilities().features());
                }

                @Override
                public SandboxBuilder newSandboxBuilder(SandboxOptions sandboxOptions)
                        throws EngineException
                {
                    if (max != 0 && live.get() >= max) {
                        throw new MaxConcurrencyExceededException("the engine already runs " + max + " sandboxes");
                    }
                    pause();
                    live.incrementAndGet();
                    AtomicBoolean released = new AtomicBoolean();
                    Runnable release = () -> {
                        if (released.compareAndSet(false, true)) {
                            live.decrementAndGet();
                        }
                    };
                    return new ForwardingSandboxBuilder(delegate.newSandboxBuilder(sandboxOptions))
                    {
                        @Override
                        public void discard()
                                throws EngineException
                        {
                            delegate.discard();
                            release.run();
                        }

                        @Override
                        protected Sandbox wrap(Sandbox sandbox)
                        {
                            return new ForwardingSandbox(sandbox)
                            {
                                @Override
                                public void abort()
                                        throws EngineException
                                {
                                    delegate.abort();
                                    release.run();
                                }

                                @Override
                                protected ResultSet wrap(ResultSet result)
                                {
                                    return new ForwardingResultSet(result)
                                    {
                                        @Override
                                        public void dispose()
                                                throws EngineException
                                        {
                                            delegate.dispose();
                                            release.run();
                                        }
                                    };
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

    /** Termination only counts once observed: kill before any waitForResult "succeeds" on a finished task. */
    public static final class LazyTermination
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-lazy-termination";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> {
                AtomicBoolean observed = new AtomicBoolean();
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        ResultSet result = delegate.waitForResult();
                        observed.set(true);
                        return result;
                    }

                    @Override
                    public void kill()
                            throws EngineException
                    {
                        try {
                            delegate.kill();
                        }
                        catch (SandboxTerminatedException e) {
                            if (observed.get()) {
                                throw e;
                            }
                            // nobody has seen the task end: "killed" it
                        }
                    }
                };
            });
        }
    }

    /** abort returns at once and releases the sandbox later, on another thread. */
    public static final class AsyncAbort
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-async-abort";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                @Override
                public void abort()
                        throws EngineException
                {
                    Thread later = new Thread(() -> {
                        try {
                            Thread.sleep(50);
                            delegate.abort();
                        }
                        catch (Exception ignored) {
                            // the kit sees the result
                        }
                    });
                    later.setDaemon(true);
                    later.start();
                }
            });
        }
    }

    /** Every non-zero exit code is reported as 1. */
    public static final class CollapsedExitCode
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-collapsed-exit-code";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> new ForwardingResultSet(result)
            {
                @Override
                public Termination termination()
                {
                    Termination real = delegate.termination();
                    OptionalInt code = real.exitCode().isPresent() && real.exitCode().getAsInt() != 0
                            ? OptionalInt.of(1) : real.exitCode();
                    return new Termination(code, real.signal(), real.killed(), real.timedOut(), real.outOfMemory());
                }
            });
        }
    }

    /** The config schema accepts any object. */
    public static final class LenientConfig
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-lenient-config";
        }

        @Override
        public JsonSchema configSchema()
        {
            return JsonSchema.parse("{\"type\":\"object\"}");
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return engine;
        }
    }

    /** The payload schema does not say it describes an object. */
    public static final class PayloadSchemaNotAnObject
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-payload-schema";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            ObjectNode document = engine.payloadSchema().document().deepCopy();
            document.remove("type");
            JsonSchema schema = JsonSchema.of(document);
            return new ForwardingEngine(engine)
            {
                @Override
                public JsonSchema payloadSchema()
                {
                    return schema;
                }
            };
        }
    }

    /** Every createEngine of one provider class returns the same engine. */
    public static final class SharedEngine
            extends BrokenProvider
    {
        private static final AtomicReference<Engine> SHARED = new AtomicReference<>();

        @Override
        public String name()
        {
            return "broken-shared-engine";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            if (SHARED.compareAndSet(null, engine)) {
                return engine;
            }
            try {
                engine.dispose();
            }
            catch (EngineException e) {
                throw new IllegalStateException(e);
            }
            return SHARED.get();
        }
    }

    /** Declarations after start are swallowed instead of refused. */
    public static final class LateDeclarations
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-late-declarations";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return new ForwardingEngine(engine)
            {
                @Override
                protected SandboxBuilder wrap(SandboxBuilder builder)
                {
                    return new ForwardingSandboxBuilder(builder)
                    {
                        @Override
                        public void setEnvironmentVariable(String name, String value)
                                throws EngineException
                        {
                            try {
                                delegate.setEnvironmentVariable(name, value);
                            }
                            catch (IllegalStateException ignored) {
                                // already started: too late, but say nothing
                            }
                        }
                    };
                }
            };
        }
    }

    /** extractFile reads through one buffer shared by all callers, without a lock. */
    public static final class RacyResultSet
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-racy-result-set";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return decoratingResultSets(engine, result -> new ForwardingResultSet(result)
            {
                private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();

                @Override
                public InputStream extractFile(String path)
                        throws EngineException
                {
                    try (InputStream in = delegate.extractFile(path)) {
                        in.transferTo(buffer);
                        pause();
                        byte[] content = buffer.toByteArray();
                        buffer.reset();
                        return new ByteArrayInputStream(content);
                    }
                    catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }

                @Override
                public void extractFolder(String path, FileHandler handler)
                        throws EngineException
                {
                    delegate.extractFolder(path, handler);
                }
            });
        }
    }

    /** waitForResult caches its wrapper without synchronisation: racing waiters get different result sets. */
    public static final class RacyResolution
            extends BrokenProvider
    {
        @Override
        public String name()
        {
            return "broken-racy-resolution";
        }

        @Override
        Engine wrap(Engine engine, EngineOptions options)
        {
            return ForwardingEngine.decoratingSandboxes(engine, sandbox -> new ForwardingSandbox(sandbox)
            {
                private ResultSet cached;

                @Override
                public ResultSet waitForResult()
                        throws EngineException, InterruptedException
                {
                    ResultSet result = delegate.waitForResult();
                    if (cached == null) {
                        pause();
                        cached = new ForwardingResultSet(result);
                    }
                    return cached;
                }
            });
        }
    }
}
