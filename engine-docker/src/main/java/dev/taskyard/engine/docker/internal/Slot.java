package dev.taskyard.engine.docker.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.support.ConcurrencyLimiter;

import static java.util.Objects.requireNonNull;

/**
 * One sandbox's place in the engine: its concurrency permit and its tracker entry. It is taken by
 * {@code newSandboxBuilder} and moves from the builder to the sandbox to the result set; whoever holds it last
 * releases it. {@link #release()} is idempotent and thread-safe.
 */
final class Slot
{
    private final ConcurrencyLimiter.Permit permit;
    private final ResourceTracker.Resource resource;
    private final Consumer<Slot> onRelease;
    private final AtomicBoolean released = new AtomicBoolean();

    Slot(ConcurrencyLimiter.Permit permit, ResourceTracker.Resource resource, Consumer<Slot> onRelease)
    {
        this.permit = requireNonNull(permit, "permit is null");
        this.resource = requireNonNull(resource, "resource is null");
        this.onRelease = requireNonNull(onRelease, "onRelease is null");
    }

    void release()
    {
        if (released.compareAndSet(false, true)) {
            resource.release();
            permit.release();
            onRelease.accept(this);
        }
    }
}
