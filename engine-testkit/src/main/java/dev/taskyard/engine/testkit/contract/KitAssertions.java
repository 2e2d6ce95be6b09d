package dev.taskyard.engine.testkit.contract;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.testkit.ContractRule;

/** Assertions shared by the contract cases; every failure names the rule broken. */
public final class KitAssertions
{
    /**
     * How long any single contract call may take before the kit reports a hang, unless the engine test overrides
     * {@link dev.taskyard.engine.testkit.EngineContractTest#callTimeout()}.
     */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private KitAssertions() {}

    /** A call that may throw anything. */
    @FunctionalInterface
    public interface Call<T>
    {
        T call()
                throws Exception;
    }

    /** A call without a result. */
    @FunctionalInterface
    public interface Action
    {
        void run()
                throws Exception;
    }

    /** Fails with {@code rule} unless {@code condition} holds. */
    public static void check(boolean condition, ContractRule rule, String detail)
    {
        if (!condition) {
            throw new AssertionError(rule.violation(detail));
        }
    }

    /** Fails with {@code rule}. */
    public static AssertionError violation(ContractRule rule, String detail)
    {
        return new AssertionError(rule.violation(detail));
    }

    /** Fails with {@code rule} and a cause. */
    public static AssertionError violation(ContractRule rule, String detail, Throwable cause)
    {
        return new AssertionError(rule.violation(detail + ": " + cause), cause);
    }

    /**
     * Runs {@code call} on another thread and returns its result; fails with {@link ContractRule#NO_HANG} if it does
     * not finish within {@code timeout} (the thread is then interrupted). Exceptions of the call are rethrown as they
     * are.
     */
    public static <T> T within(String what, Duration timeout, Call<T> call)
            throws Exception
    {
        return within(what, timeout, ContractRule.NO_HANG, call);
    }

    /**
     * Like {@link #within(String, Duration, Call)}, but a call still running after {@code timeout} is reported as a
     * violation of {@code onTimeout}: for calls that only hang because an earlier promise was broken (a task that
     * keeps running after its context was cancelled).
     */
    public static <T> T within(String what, Duration timeout, ContractRule onTimeout, Call<T> call)
            throws Exception
    {
        FutureTask<T> task = new FutureTask<>(call::call);
        Thread thread = new Thread(task, "taskyard-kit-call");
        thread.setDaemon(true);
        thread.start();
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (TimeoutException e) {
            thread.interrupt();
            throw violation(onTimeout, what + " did not return within " + format(timeout));
        }
        catch (ExecutionException e) {
            throw rethrowCause(e);
        }
    }

    /**
     * Waits at most {@code timeout} for {@code future}, started by the case, and returns its result; fails with
     * {@link ContractRule#NO_HANG} if it is not done by then. A failure of the future is rethrown as it is.
     */
    public static <T> T await(String what, Duration timeout, Future<T> future)
            throws Exception
    {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        }
        catch (TimeoutException e) {
            throw violation(ContractRule.NO_HANG, what + " did not end within " + format(timeout));
        }
        catch (ExecutionException e) {
            throw rethrowCause(e);
        }
    }

    /** Throws the cause of {@code e} as it is (an exception or an error); returns nothing, for {@code throw}. */
    private static Exception rethrowCause(ExecutionException e)
            throws Exception
    {
        if (e.getCause() instanceof Exception cause) {
            throw cause;
        }
        if (e.getCause() instanceof Error error) {
            throw error;
        }
        throw e;
    }

    /** A timeout for messages: {@code 30 s}, {@code 1500 ms}. */
    public static String format(Duration timeout)
    {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    /**
     * Runs {@code action} (within {@code timeout}) and checks it throws exactly an instance of {@code expected};
     * returns the error. Fails with {@code rule} on no error or another error.
     */
    public static <E extends Throwable> E expectError(ContractRule rule, Class<E> expected, String what,
            Duration timeout, Action action)
            throws Exception
    {
        Throwable thrown = null;
        try {
            within(what, timeout, () -> {
                action.run();
                return null;
            });
        }
        catch (AssertionError e) {
            if (e.getMessage() != null && e.getMessage().startsWith("[" + ContractRule.NO_HANG.id() + "]")) {
                throw e;
            }
            thrown = e;
        }
        catch (Exception e) {
            thrown = e;
        }
        if (thrown == null) {
            throw violation(rule, what + " returned normally; expected " + name(expected));
        }
        if (!expected.isInstance(thrown)) {
            throw violation(rule, what + " threw " + thrown.getClass().getSimpleName() + " (" + thrown.getMessage()
                    + "); expected " + name(expected), thrown);
        }
        return expected.cast(thrown);
    }

    /** Runs {@code action} within {@code timeout} and fails with {@code rule} if it throws. */
    public static void expectSuccess(ContractRule rule, String what, Duration timeout, Action action)
            throws Exception
    {
        try {
            within(what, timeout, () -> {
                action.run();
                return null;
            });
        }
        catch (AssertionError e) {
            throw e;
        }
        catch (Exception e) {
            throw violation(rule, what + " threw " + e.getClass().getSimpleName() + " (" + e.getMessage() + ")", e);
        }
    }

    /** Fails with {@link ContractRule#NO_LEAK} unless the tracker holds exactly the {@code baseline} entries. */
    public static void checkReleased(ResourceTracker tracker, List<String> baseline, String after)
            throws InterruptedException
    {
        checkReleased(ContractRule.NO_LEAK, tracker, baseline, after);
    }

    /** Fails with {@code rule} unless the tracker holds exactly the {@code baseline} entries. */
    public static void checkReleased(ContractRule rule, ResourceTracker tracker, List<String> baseline, String after)
            throws InterruptedException
    {
        // releases triggered on other threads (cancel listeners, pumps) may lag a little behind the
        // call that caused them
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!tracker.live().equals(baseline) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<String> live = tracker.live();
        check(live.equals(baseline), rule, "after " + after + " the engine still holds " + live
                + " (before the run: " + baseline + ")");
    }

    /**
     * Starts {@code calls.size()} calls on as many threads, released at one instant by a barrier, and returns each
     * call's outcome in order: its result ({@code null} as {@link #RETURNED}) or the exception it threw. Fails with
     * {@link ContractRule#NO_HANG} if a call does not return within {@code timeout}.
     */
    public static List<Object> atOnce(String what, Duration timeout, int threads, IntFunction<Call<?>> calls)
            throws InterruptedException
    {
        CyclicBarrier barrier = new CyclicBarrier(threads);
        List<FutureTask<Object>> tasks = new ArrayList<>();
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Call<?> call = calls.apply(i);
            FutureTask<Object> task = new FutureTask<>(() -> {
                barrier.await();
                try {
                    Object result = call.call();
                    return result == null ? RETURNED : result;
                }
                catch (Exception e) {
                    return e;
                }
            });
            Thread thread = new Thread(task, "taskyard-kit-at-once-" + i);
            thread.setDaemon(true);
            thread.start();
            tasks.add(task);
            started.add(thread);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Object> outcomes = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            try {
                outcomes.add(tasks.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            catch (TimeoutException e) {
                started.forEach(Thread::interrupt);
                throw violation(ContractRule.NO_HANG, what + " (call " + i + " of " + threads
                        + " started at one instant) did not return within "
                        + format(timeout));
            }
            catch (ExecutionException e) {
                throw new AssertionError("the kit's barrier failed: " + e.getCause(), e.getCause());
            }
        }
        return outcomes;
    }

    /**
     * Spins for a round-dependent number of iterations (none in even rounds), to vary where a race between two
     * threads lands: not a synchronisation, the verdict holds for every interleaving.
     */
    public static void jitter(int round)
    {
        long spins = round % 2 == 0 ? 0 : (long) round * 20_000;
        for (long i = 0; i < spins; i++) {
            Thread.onSpinWait();
        }
    }

    /** What {@link #atOnce} reports for a call that returned normally without a value. */
    public static final Object RETURNED = new Object()
    {
        @Override
        public String toString()
        {
            return "returned";
        }
    };

    /**
     * Starts {@code call} on a new thread and returns once that thread is parked inside it (state {@code WAITING} or
     * {@code TIMED_WAITING}): a real synchronisation point instead of a sleep. If the thread never parks (an engine
     * may poll), it returns once the call has been running for {@code 2 s} or has ended; the case then still checks
     * the outcome.
     */
    public static <T> FutureTask<T> startParked(String name, Call<T> call)
            throws InterruptedException
    {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        FutureTask<T> task = new FutureTask<>(() -> {
            entered.countDown();
            return call.call();
        });
        Thread thread = new Thread(task, "taskyard-kit-" + name);
        thread.setDaemon(true);
        thread.start();
        entered.await();
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (!task.isDone() && System.nanoTime() < deadline) {
            Thread.State state = thread.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                return task;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        return task;
    }

    /** Whether {@code e} is (or is caused by) an engine error of the given class. */
    public static boolean isEngineError(Throwable e, Class<? extends EngineException> type)
    {
        return type.isInstance(e);
    }

    private static String name(Class<?> type)
    {
        return type.getSimpleName();
    }
}
