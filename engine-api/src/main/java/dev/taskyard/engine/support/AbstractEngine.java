package dev.taskyard.engine.support;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;

import static java.util.Objects.requireNonNull;

/**
 * The plumbing every engine repeats, implemented once: the payload schema and capabilities, the disposed state, and
 * one {@link Slot} per sandbox that ties a concurrency permit ({@link Capabilities#maxConcurrency()}) to an entry in
 * the context's {@link ResourceTracker}.
 *
 * <p>{@link #newSandboxBuilder(SandboxOptions)} is the fixed prologue: refuse after {@link #dispose()}, let the
 * engine parse the payload ({@link #parsePayload}, so a malformed payload is reported before a full engine says
 * {@link MaxConcurrencyExceededException}), take a slot, and hand both to {@link #newSandboxBuilder(Object,
 * TaskContext, Slot)}. If that throws, the slot is released. Otherwise the engine's objects pass the slot on (builder
 * → sandbox → result set) and whoever holds it last calls {@link Slot#release()}. {@link #dispose()} runs
 * {@link #disposeEngine()} once and then releases every slot still held, so the tracker ends empty.
 *
 * <p>Thread-safety: every method but {@link #dispose()} may be called concurrently, as {@link Engine} requires.
 *
 * @param <P> the engine's parsed payload
 */
public abstract class AbstractEngine<P>
        implements Engine
{
    private final EngineContext context;
    private final String sandboxKind;
    private final JsonSchema payloadSchema;
    private final Capabilities capabilities;
    private final ConcurrencyLimiter limiter;
    private final Set<Slot> slots = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean disposed = new AtomicBoolean();

    /**
     * @param context the engine's context; its tracker records one entry per live sandbox
     * @param sandboxKind the tracker's kind for a sandbox, e.g. {@code "docker-sandbox"}
     * @param payloadSchema the schema of the engine's part of the payload
     * @param capabilities what the engine can do; its {@code maxConcurrency} limits live slots
     */
    protected AbstractEngine(EngineContext context, String sandboxKind, JsonSchema payloadSchema,
            Capabilities capabilities)
    {
        this.context = requireNonNull(context, "context is null");
        this.sandboxKind = requireNonNull(sandboxKind, "sandboxKind is null");
        this.payloadSchema = requireNonNull(payloadSchema, "payloadSchema is null");
        this.capabilities = requireNonNull(capabilities, "capabilities is null");
        this.limiter = new ConcurrencyLimiter(capabilities.maxConcurrency());
    }

    @Override
    public final JsonSchema payloadSchema()
    {
        return payloadSchema;
    }

    @Override
    public final Capabilities capabilities()
    {
        return capabilities;
    }

    /** The context the engine was created with. */
    public final EngineContext context()
    {
        return context;
    }

    @Override
    public final SandboxBuilder newSandboxBuilder(SandboxOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        checkNotDisposed();
        P payload = parsePayload(options);
        Slot slot = takeSlot(options.context());
        try {
            return newSandboxBuilder(payload, options.context(), slot);
        }
        catch (EngineException | RuntimeException | Error e) {
            slot.release();
            throw e;
        }
    }

    /**
     * Parses the engine's payload (already valid against {@link #payloadSchema()}); called before a slot is taken.
     *
     * @throws MalformedPayloadException the payload is valid by schema but cannot be used
     */
    protected abstract P parsePayload(SandboxOptions options)
            throws EngineException;

    /**
     * Makes the builder for one task. It owns {@code slot} from now on and passes it to the sandbox and the result
     * set; the last holder releases it. If this method throws, the slot is released for it.
     */
    protected abstract SandboxBuilder newSandboxBuilder(P payload, TaskContext task, Slot slot)
            throws EngineException;

    /**
     * Runs {@link #disposeEngine()} once, then releases every slot still held. Idempotent; not thread-safe (see
     * {@link Engine#dispose()}).
     */
    @Override
    public final void dispose()
            throws EngineException
    {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        try {
            disposeEngine();
        }
        finally {
            List.copyOf(slots).forEach(Slot::release);
        }
    }

    /** Releases what the engine itself holds (threads, clients, leftovers); called once, by {@link #dispose()}. */
    protected abstract void disposeEngine()
            throws EngineException;

    /** Whether {@link #dispose()} was called. */
    public final boolean isDisposed()
    {
        return disposed.get();
    }

    /** Throws {@link IllegalStateException} once the engine is disposed: for the engine's other entry points. */
    protected final void checkNotDisposed()
    {
        if (disposed.get()) {
            throw new IllegalStateException("the engine was disposed");
        }
    }

    /**
     * A factory of daemon threads named {@code name}, e.g. {@code taskyard-docker-1-worker}, for the engine's pools.
     */
    protected static ThreadFactory daemonThreads(String name)
    {
        requireNonNull(name, "name is null");
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Sandbox slots currently held. */
    public final int liveSlots()
    {
        return slots.size();
    }

    /**
     * A slot for a sandbox the engine makes without a builder ({@link dev.taskyard.engine.Engine#recoverSandbox});
     * the caller passes it on as with {@link #newSandboxBuilder(Object, TaskContext, Slot)} and whoever holds it last
     * releases it.
     *
     * @throws MaxConcurrencyExceededException {@link Capabilities#maxConcurrency()} sandboxes are already live
     * @throws IllegalStateException the engine is disposed
     */
    protected final Slot newSlot(TaskContext task)
            throws MaxConcurrencyExceededException
    {
        checkNotDisposed();
        return takeSlot(task);
    }

    private Slot takeSlot(TaskContext task)
            throws MaxConcurrencyExceededException
    {
        ConcurrencyLimiter.Permit permit = limiter.acquire();
        ResourceTracker.Resource resource;
        try {
            resource = context.tracker().acquire(sandboxKind, "task " + task.taskId() + " run " + task.runId());
        }
        catch (RuntimeException e) {
            permit.release();
            throw e;
        }
        Slot slot = new Slot(permit, resource, slots);
        slots.add(slot);
        return slot;
    }

    /**
     * One sandbox's place in its engine: a concurrency permit and a tracker entry. It moves from the builder to the
     * sandbox to the result set; whoever holds it last releases it. {@link #release()} is idempotent and
     * thread-safe.
     */
    public static final class Slot
    {
        private final ConcurrencyLimiter.Permit permit;
        private final ResourceTracker.Resource resource;
        private final Set<Slot> slots;
        private final AtomicBoolean released = new AtomicBoolean();

        private Slot(ConcurrencyLimiter.Permit permit, ResourceTracker.Resource resource, Set<Slot> slots)
        {
            this.permit = permit;
            this.resource = resource;
            this.slots = slots;
        }

        /** Frees the permit and the tracker entry. Idempotent. */
        public void release()
        {
            if (released.compareAndSet(false, true)) {
                slots.remove(this);
                resource.release();
                permit.release();
            }
        }

        public boolean isReleased()
        {
            return released.get();
        }
    }
}
