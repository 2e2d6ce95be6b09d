package dev.taskyard.engine.support;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Implements the state rules of {@link SandboxBuilder} once: declarations are collected under a lock (with naming
 * conflicts detected), {@link #startSandbox()} runs at most once, {@link #discard()} during a start makes the start
 * throw {@link BuilderDiscardedException} after aborting the sandbox it produced, and nothing leaks either way.
 *
 * <p>An engine implements {@link #doStart(Spec)} and {@link #release()}, and overrides {@code attachVolume} /
 * {@code attachProxy} to validate and then call {@link #declareVolume} / {@link #declareProxy} if it supports them.
 *
 * <p>Thread-safe.
 */
public abstract class AbstractSandboxBuilder
        implements SandboxBuilder
{
    private static final Logger LOG = LoggerFactory.getLogger(AbstractSandboxBuilder.class);

    private enum State
    {
        OPEN, STARTING, STARTED, DISCARDED
    }

    protected final TaskContext context;
    private final Object lock = new Object();

    // guarded by lock
    private State state = State.OPEN;
    private boolean discardRequested;
    private boolean startCalled;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final Map<String, Mount> volumes = new LinkedHashMap<>();
    private final Map<String, ProxyHandler> proxies = new LinkedHashMap<>();

    protected AbstractSandboxBuilder(TaskContext context)
    {
        this.context = requireNonNull(context, "context is null");
    }

    /** A volume attachment. */
    public record Mount(String mountPoint, Volume volume, boolean readOnly) {}

    /** Everything declared on the builder, frozen when the start begins. */
    public record Spec(Map<String, String> environment, Map<String, Mount> volumes, Map<String, ProxyHandler> proxies)
    {
        public Spec
        {
            environment = Map.copyOf(environment);
            volumes = Map.copyOf(volumes);
            proxies = Map.copyOf(proxies);
        }
    }

    /**
     * Starts the task described by {@code spec}. On failure it must have released what it acquired itself; the
     * builder's own resources are then released by {@link #release()}. Long waits should poll
     * {@link #isDiscardRequested()} and the task context.
     */
    protected abstract Sandbox doStart(Spec spec)
            throws EngineException;

    /**
     * Releases what the builder still owns: everything after a discard or a failed start; after a successful start
     * only what {@link #doStart} did not transfer to the sandbox. Called exactly once in every path, never
     * concurrently.
     */
    protected abstract void release()
            throws EngineException;

    @Override
    public void setEnvironmentVariable(String name, String value)
            throws EngineException
    {
        EnvironmentVariables.validateName(name);
        EnvironmentVariables.validateValue(name, value);
        synchronized (lock) {
            checkOpen();
            if (environment.containsKey(name)) {
                throw new NamingConflictException("environment variable " + name + " is already declared");
            }
            environment.put(name, value);
        }
    }

    /** Records a volume attachment, checking the builder state and mount point conflicts. */
    protected final void declareVolume(String mountPoint, Volume volume, boolean readOnly)
            throws EngineException
    {
        requireNonNull(volume, "volume is null");
        synchronized (lock) {
            checkOpen();
            if (volumes.containsKey(mountPoint)) {
                throw new NamingConflictException("mount point " + mountPoint + " is already in use");
            }
            volumes.put(mountPoint, new Mount(mountPoint, volume, readOnly));
        }
    }

    /** Records a proxy, checking the builder state and name conflicts. */
    protected final void declareProxy(String name, ProxyHandler handler)
            throws EngineException
    {
        requireNonNull(handler, "handler is null");
        synchronized (lock) {
            checkOpen();
            if (proxies.containsKey(name)) {
                throw new NamingConflictException("proxy " + name + " is already attached");
            }
            proxies.put(name, handler);
        }
    }

    /** Whether {@link #discard()} was called while the start runs; {@link #doStart} may then give up early. */
    protected final boolean isDiscardRequested()
    {
        synchronized (lock) {
            return discardRequested;
        }
    }

    @Override
    public final Sandbox startSandbox()
            throws EngineException
    {
        Spec spec;
        synchronized (lock) {
            if (startCalled) {
                throw new IllegalStateException("startSandbox was already called on this builder");
            }
            startCalled = true;
            if (state == State.DISCARDED) {
                throw new BuilderDiscardedException("the sandbox builder was discarded");
            }
            state = State.STARTING;
            spec = new Spec(environment, volumes, proxies);
        }
        Sandbox sandbox;
        try {
            context.checkNotCancelled();
            sandbox = doStart(spec);
        }
        catch (EngineException | RuntimeException | Error e) {
            boolean discarded;
            synchronized (lock) {
                discarded = discardRequested;
                state = State.DISCARDED;
            }
            try {
                release();
            }
            catch (EngineException | RuntimeException releaseFailure) {
                e.addSuppressed(releaseFailure);
            }
            if (discarded && !(e instanceof BuilderDiscardedException)) {
                throw new BuilderDiscardedException("the sandbox builder was discarded during start", e);
            }
            throw e;
        }
        boolean discarded;
        synchronized (lock) {
            discarded = discardRequested;
            state = discarded ? State.DISCARDED : State.STARTED;
        }
        try {
            release();
        }
        catch (EngineException | RuntimeException releaseFailure) {
            abortQuietly(sandbox);
            throw releaseFailure;
        }
        if (discarded) {
            abortQuietly(sandbox);
            throw new BuilderDiscardedException("the sandbox builder was discarded during start");
        }
        if (context.isCancelled()) {
            abortQuietly(sandbox);
            throw new TaskCanceledException("the task was cancelled during start: "
                    + context.cancellationReason().orElse(""));
        }
        return sandbox;
    }

    @Override
    public final void discard()
            throws EngineException
    {
        synchronized (lock) {
            switch (state) {
                case OPEN -> state = State.DISCARDED;
                case STARTING -> {
                    discardRequested = true;
                    return;
                }
                default -> {
                    return;
                }
            }
        }
        release();
    }

    private void checkOpen()
            throws EngineException
    {
        if (state == State.DISCARDED) {
            throw new BuilderDiscardedException("the sandbox builder was discarded");
        }
        if (state != State.OPEN) {
            throw new IllegalStateException("the sandbox builder was already started");
        }
    }

    private void abortQuietly(Sandbox sandbox)
    {
        try {
            sandbox.abort();
        }
        catch (EngineException e) {
            // terminated on its own: take its result and dispose it
            try {
                sandbox.waitForResult().dispose();
            }
            catch (EngineException | RuntimeException inner) {
                LOG.warn("disposing the result of a discarded sandbox of {} failed", context, inner);
            }
            catch (InterruptedException inner) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
