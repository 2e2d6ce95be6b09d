package dev.taskyard.engine.testkit.forwarding;

import java.util.OptionalInt;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.Termination;

/**
 * Wraps an engine with the mock engine's payload and injects the faults the mock cannot script, chosen by the
 * payload's {@code argument}: {@code fatal-on-build} (newSandboxBuilder throws a fatal internal error),
 * {@code malformed-on-start} (startSandbox discards the builder and throws a malformed payload) and
 * {@code fatal-on-wait} (waitForResult lets the task finish, disposes its result and throws a fatal internal error)
 * and {@code out-of-memory-on-wait} (waitForResult reports the task's result as the kernel's kill for exceeding its
 * memory limit: not a success, no exit code, {@link Termination#outOfMemory()}).
 * Every other call is the delegate's. Thread-safe if the delegate is.
 */
public final class FaultyEngine
        extends ForwardingEngine
{
    public FaultyEngine(Engine delegate)
    {
        super(delegate);
    }

    @Override
    public SandboxBuilder newSandboxBuilder(SandboxOptions options)
            throws EngineException
    {
        String fault = options.payload().path("argument").asText();
        if (fault.equals("fatal-on-build")) {
            throw new FatalInternalErrorException("injected: the engine broke while preparing a sandbox");
        }
        return new ForwardingSandboxBuilder(delegate.newSandboxBuilder(options))
        {
            @Override
            public Sandbox startSandbox()
                    throws EngineException
            {
                if (fault.equals("malformed-on-start")) {
                    delegate.discard();
                    throw new MalformedPayloadException("injected: the image does not exist");
                }
                Sandbox sandbox = delegate.startSandbox();
                if (fault.equals("out-of-memory-on-wait")) {
                    return outOfMemory(sandbox);
                }
                if (!fault.equals("fatal-on-wait")) {
                    return sandbox;
                }
                return new ForwardingSandbox(sandbox)
                {
                    @Override
                    public ResultSet waitForResult()
                            throws EngineException, InterruptedException
                    {
                        delegate.waitForResult().dispose();
                        throw new FatalInternalErrorException("injected: the engine lost the task");
                    }
                };
            }
        };
    }

    private static Sandbox outOfMemory(Sandbox sandbox)
    {
        Termination killed = new Termination(OptionalInt.empty(), OptionalInt.of(9), false, false, true);
        return new ForwardingSandbox(sandbox)
        {
            @Override
            public ResultSet waitForResult()
                    throws EngineException, InterruptedException
            {
                return new ForwardingResultSet(delegate.waitForResult())
                {
                    @Override
                    public boolean success()
                    {
                        return false;
                    }

                    @Override
                    public Termination termination()
                    {
                        return killed;
                    }
                };
            }
        };
    }
}
