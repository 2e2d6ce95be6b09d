package dev.taskyard.engine.process.internal;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandboxBuilder;

import static java.util.Objects.requireNonNull;

/**
 * Collects the environment variables of one task (the state rules come from {@link AbstractSandboxBuilder}); volumes
 * and proxies are not supported. The builder holds only the task's concurrency slot: the work dir and the process
 * are created by {@link #startSandbox()}, which hands the slot to the sandbox.
 *
 * <p>Thread-safe.
 */
final class ProcessSandboxBuilder
        extends AbstractSandboxBuilder
{
    private final ProcessEngine engine;
    private final TaskPayload payload;
    private final Slot slot;
    private volatile boolean transferred;

    ProcessSandboxBuilder(ProcessEngine engine, TaskContext context, TaskPayload payload, Slot slot)
    {
        super(context);
        this.engine = requireNonNull(engine, "engine is null");
        this.payload = requireNonNull(payload, "payload is null");
        this.slot = requireNonNull(slot, "slot is null");
    }

    @Override
    protected Sandbox doStart(Spec spec)
            throws EngineException
    {
        ProcessSandbox sandbox = ProcessSandbox.start(engine, context, payload, spec.environment(), slot);
        transferred = true;
        return sandbox;
    }

    @Override
    protected void release()
    {
        if (!transferred) {
            slot.release();
            engine.logger().debug("{}: sandbox builder released", ProcessEngine.label(context));
        }
    }
}
