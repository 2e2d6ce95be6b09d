package dev.taskyard.engine.testkit.contract;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import dev.taskyard.engine.testkit.KitRun;

/**
 * What every contract case can use; implemented by {@link EngineContractTest}. Engine authors do not implement
 * these interfaces themselves.
 *
 * <p>The watchdog methods ({@link #within}, {@link #expectError}, {@link #expectSuccess}, {@link #atOnce},
 * {@link #await}) are the {@link KitAssertions} ones bound to the engine test's call timeout
 * ({@link EngineContractTest#callTimeout()}): every contract call of a case goes through them, so a call that hangs
 * fails the case with {@link ContractRule#NO_HANG} instead of blocking the build.
 */
public interface ContractCase
{
    Engine engine();

    ResourceTracker tracker();

    boolean supports(EngineBehavior behavior);

    EngineContractTest.Payloads payloads();

    KitRun newRun(String payload)
            throws EngineException;

    KitRun newRun(Engine engine, String payload, TaskContext context)
            throws EngineException;

    TaskContext newContext(Consumer<TaskContext.Builder> customizer);

    Engine newEngine(String config, ResourceTracker tracker)
            throws EngineException;

    /** A fresh engine like {@link #engine()} sharing its folder, as after a restart of the worker. */
    Engine newRecoveringEngine(ResourceTracker tracker)
            throws EngineException;

    /** The kit's work folder of the current case: outside every sandbox. */
    Path workFolder();

    /** {@link KitAssertions#within(String, Duration, KitAssertions.Call)} with the call timeout. */
    default <T> T within(String what, KitAssertions.Call<T> call)
            throws Exception
    {
        return KitAssertions.within(what, payloads().callTimeout(), call);
    }

    /** {@link KitAssertions#await(String, Duration, Future)} with the call timeout. */
    default <T> T await(String what, Future<T> future)
            throws Exception
    {
        return KitAssertions.await(what, payloads().callTimeout(), future);
    }

    /** {@link KitAssertions#expectError(ContractRule, Class, String, Duration, KitAssertions.Action)} with
     * the call timeout. */
    default <E extends Throwable> E expectError(ContractRule rule, Class<E> expected, String what,
            KitAssertions.Action action)
            throws Exception
    {
        return KitAssertions.expectError(rule, expected, what, payloads().callTimeout(), action);
    }

    /**
     * {@link KitAssertions#expectSuccess(ContractRule, String, Duration, KitAssertions.Action)} with the call timeout.
     */
    default void expectSuccess(ContractRule rule, String what, KitAssertions.Action action)
            throws Exception
    {
        KitAssertions.expectSuccess(rule, what, payloads().callTimeout(), action);
    }

    /** {@link KitAssertions#atOnce(String, Duration, int, IntFunction)} with the call timeout. */
    default List<Object> atOnce(String what, int threads, IntFunction<KitAssertions.Call<?>> calls)
            throws InterruptedException
    {
        return KitAssertions.atOnce(what, payloads().callTimeout(), threads, calls);
    }
}
