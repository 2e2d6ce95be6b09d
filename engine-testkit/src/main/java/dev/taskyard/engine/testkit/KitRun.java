package dev.taskyard.engine.testkit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxAbortedException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskContext;

import dev.taskyard.engine.testkit.contract.DisposalContract;
import dev.taskyard.engine.testkit.contract.KitAssertions;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;
import static java.util.Objects.requireNonNull;

/**
 * One task run driven by the kit: a task context, its builder, its sandbox and its result set. {@link #dispose()}
 * applies the cleanup contract (discard an unstarted builder; abort a sandbox, falling back to
 * {@code waitForResult} when it already terminated; dispose the result set), failing on any violation.
 *
 * <p>Methods are thread-safe where the underlying objects are; the kit drives each run from the test thread
 * except where a case is about concurrency.
 */
public final class KitRun
{
    private final TaskContext context;
    private final Duration callTimeout;
    private final SandboxBuilder builder;
    private final AtomicReference<Sandbox> sandbox = new AtomicReference<>();
    private final AtomicReference<ResultSet> resultSet = new AtomicReference<>();
    private volatile boolean disposed;

    KitRun(Engine engine, ObjectNode payload, TaskContext context, Duration callTimeout)
            throws EngineException
    {
        this.context = requireNonNull(context, "context is null");
        this.callTimeout = requireNonNull(callTimeout, "callTimeout is null");
        this.builder = engine.newSandboxBuilder(new SandboxOptions(payload, context));
    }

    public TaskContext context()
    {
        return context;
    }

    public SandboxBuilder builder()
    {
        return builder;
    }

    /** Starts the sandbox and remembers it. */
    public Sandbox start()
            throws EngineException
    {
        Sandbox started = builder.startSandbox();
        sandbox.set(started);
        return started;
    }

    /** The started sandbox; fails if {@link #start()} has not succeeded. */
    public Sandbox sandbox()
    {
        Sandbox current = sandbox.get();
        if (current == null) {
            throw new IllegalStateException("the sandbox was not started");
        }
        return current;
    }

    /** Waits for the result, remembers it for disposal, and closes the log (the task has ended). */
    public ResultSet waitForResult()
            throws EngineException, InterruptedException
    {
        ResultSet result = sandbox().waitForResult();
        resultSet.compareAndSet(null, result);
        context.log().close();
        return result;
    }

    /** Starts, waits, and returns whether the task succeeded. */
    public boolean run()
            throws EngineException, InterruptedException
    {
        start();
        return waitForResult().success();
    }

    /** The log written so far. */
    public String log()
    {
        return context.log().contentAsString();
    }

    /** Blocks until the live log contains {@code needle}, reading it as a concurrent reader would. */
    public boolean awaitLog(String needle, Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (log().contains(needle)) {
                return true;
            }
            Thread.sleep(2);
        }
        return log().contains(needle);
    }

    /**
     * Applies the cleanup contract, then checks that every object of the run refuses use as the contract says: the
     * builder refuses a start, the sandbox refuses kill (sandbox-aborted after an abort, sandbox-terminated after
     * termination), the result set refuses every call but dispose. Idempotent.
     */
    public void dispose()
            throws Exception
    {
        if (disposed) {
            return;
        }
        disposed = true;
        try {
            Sandbox current = sandbox.get();
            Class<? extends EngineException> killError = null;
            if (current == null) {
                KitAssertions.within("discard in the kit's cleanup", callTimeout, () -> {
                    builder.discard();
                    return null;
                });
            }
            else {
                try {
                    KitAssertions.within("abort in the kit's cleanup", callTimeout, () -> {
                        current.abort();
                        return null;
                    });
                    killError = SandboxAbortedException.class;
                }
                catch (SandboxTerminatedException terminated) {
                    killError = SandboxTerminatedException.class;
                    try {
                        resultSet.compareAndSet(null,
                                KitAssertions.within("waitForResult in the kit's cleanup", callTimeout,
                                current::waitForResult));
                    }
                    catch (SandboxAbortedException aborted) {
                        throw new AssertionError(ContractRule.ABORT_AFTER_COMPLETION.violation(
                                "abort reported sandbox-terminated, then waitForResult reported sandbox-aborted"),
                                aborted);
                    }
                }
            }
            ResultSet result = resultSet.get();
            if (result != null) {
                KitAssertions.within("dispose of the result set in the kit's cleanup", callTimeout, () -> {
                    result.dispose();
                    return null;
                });
                DisposalContract.checkRefusesUse(result, callTimeout);
            }
            Object start = outcome(builder::startSandbox);
            check(start instanceof IllegalStateException || start instanceof BuilderDiscardedException,
                    ContractRule.BUILDER_SINGLE_USE, "startSandbox on an ended builder gave " + start);
            if (killError != null) {
                Object kill = outcome(() -> {
                    current.kill();
                    return KitAssertions.RETURNED;
                });
                check(killError.isInstance(kill), ContractRule.CONSISTENT_RESOLUTION,
                        "kill on a " + (killError == SandboxAbortedException.class ? "aborted" : "terminated")
                                + " sandbox gave " + kill + "; expected " + killError.getSimpleName());
            }
        }
        finally {
            context.dispose();
        }
    }

    private Object outcome(KitAssertions.Call<?> call)
            throws Exception
    {
        return KitAssertions.within("a call on an ended object", callTimeout, () -> {
            try {
                return call.call();
            }
            catch (EngineException | RuntimeException e) {
                return e;
            }
        });
    }
}
