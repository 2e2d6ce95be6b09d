package dev.taskyard.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Helpers for the concurrency tests of this module. Timeouts here only keep a broken implementation from hanging
 * the build; no test asserts anything about elapsed time.
 */
public final class TestThreads
{
    /** How long a test waits for something that must happen before it gives up. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TestThreads() {}

    /** Waits until {@code thread} is parked in {@code wait}/{@code await} (or has ended), failing
     * after {@link #TIMEOUT}. */
    public static void awaitParked(Thread thread)
    {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Thread.State state = thread.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING
                    || state == Thread.State.TERMINATED) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("thread " + thread.getName() + " did not block; it is " + state);
            }
            Thread.onSpinWait();
        }
    }

    /** Waits for {@code latch}, failing after {@link #TIMEOUT}. */
    public static void await(CountDownLatch latch)
            throws InterruptedException
    {
        if (!latch.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("timed out waiting for a latch");
        }
    }

    /** Waits for {@code thread} to end, failing after {@link #TIMEOUT}. */
    public static void join(Thread thread)
            throws InterruptedException
    {
        thread.join(TIMEOUT.toMillis());
        if (thread.isAlive()) {
            throw new AssertionError("thread " + thread.getName() + " did not end");
        }
    }

    /**
     * Runs {@code tasks.size()} tasks on as many threads, released together, and returns their results in task order.
     * The first failure of a task is rethrown.
     */
    public static <T> List<T> runTogether(List<Callable<T>> tasks)
            throws Exception
    {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            CountDownLatch ready = new CountDownLatch(tasks.size());
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> task : tasks) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    await(go);
                    return task.call();
                }));
            }
            await(ready);
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            }
            return results;
        }
        finally {
            pool.shutdownNow();
        }
    }

    /** Runs {@code task} {@code threads} times concurrently, released together. */
    public static void runTogether(int threads, Callable<?> task)
            throws Exception
    {
        List<Callable<Object>> tasks = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            tasks.add(task::call);
        }
        runTogether(tasks);
    }
}
