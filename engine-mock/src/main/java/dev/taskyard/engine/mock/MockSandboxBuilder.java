package dev.taskyard.engine.mock;

import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandboxBuilder;

/** Builds mock sandboxes. Thread-safe (see {@link AbstractSandboxBuilder}). */
final class MockSandboxBuilder
        extends AbstractSandboxBuilder
{
    private final MockEngine engine;
    private final MockEngine.MockTask task;
    private final Slot slot;
    private final AtomicBoolean transferred = new AtomicBoolean();

    MockSandboxBuilder(MockEngine engine, MockEngine.MockTask task, TaskContext context, Slot slot)
    {
        super(context);
        this.engine = engine;
        this.task = task;
        this.slot = slot;
    }

    @Override
    public void attachVolume(String mountPoint, Volume volume, boolean readOnly)
            throws EngineException
    {
        if (mountPoint == null || !mountPoint.matches("/[a-z0-9][a-z0-9/_-]*")) {
            throw new MalformedPayloadException("invalid mount point \"" + mountPoint
                    + "\": it must be an absolute path of lower-case letters, digits, '/', '_' and '-'");
        }
        if (!(volume instanceof MockVolume)) {
            throw new MalformedPayloadException("the volume was not created by the mock engine");
        }
        declareVolume(mountPoint, volume, readOnly);
    }

    @Override
    public void attachProxy(String name, ProxyHandler handler)
            throws EngineException
    {
        if (name == null || !name.matches("[a-z][a-z0-9-]{2,21}")) {
            throw new MalformedPayloadException("invalid proxy name \"" + name
                    + "\": it must match [a-z][a-z0-9-]{2,21}");
        }
        declareProxy(name, handler);
    }

    @Override
    protected Sandbox doStart(Spec spec)
            throws EngineException
    {
        if (task.function().equals("slow-start")) {
            long end = System.nanoTime() + task.delay() * 1_000_000L;
            while (System.nanoTime() < end) {
                if (isDiscardRequested()) {
                    throw new BuilderDiscardedException("the sandbox builder was discarded during start");
                }
                context.checkNotCancelled();
                try {
                    Thread.sleep(1);
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BuilderDiscardedException("interrupted during start");
                }
            }
        }
        transferred.set(true);
        MockSandbox sandbox = new MockSandbox(engine, task, context, spec, slot);
        sandbox.begin();
        return sandbox;
    }

    @Override
    protected void release()
    {
        if (!transferred.get()) {
            slot.release();
        }
    }
}
