package dev.taskyard.engine.process.internal;

import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.support.ConcurrencyLimiter;

import static java.util.Objects.requireNonNull;

/**
 * One sandbox's share of the engine's concurrency, from {@code newSandboxBuilder} until the builder is discarded,
 * the sandbox aborted or the result set disposed; tracked as a {@code sandbox-slot} resource. Ownership passes from
 * the builder to the sandbox to the result set; whoever holds it last releases it. Thread-safe; {@link #release()}
 * is idempotent.
 */
final class Slot
{
    private final ConcurrencyLimiter.Permit permit;
    private final ResourceTracker.Resource resource;

    Slot(ConcurrencyLimiter.Permit permit, ResourceTracker.Resource resource)
    {
        this.permit = requireNonNull(permit, "permit is null");
        this.resource = requireNonNull(resource, "resource is null");
    }

    void release()
    {
        permit.release();
        resource.release();
    }
}
