package dev.taskyard.store.postgres.internal;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class CombinerTest
{
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop()
    {
        threads.shutdownNow();
    }

    @Test
    void aLoneCallerRunsItsSingleWorkAtOnceOnItsOwnThread()
            throws Exception
    {
        Combiner<Integer, String> combiner = new Combiner<>(8, 1, requests -> {
            throw new AssertionError("no batch for a lone caller");
        });
        Thread caller = Thread.currentThread();
        assertThat(combiner.run(7, request -> {
            assertThat(Thread.currentThread()).isSameAs(caller);
            return "single " + request;
        })).isEqualTo("single 7");
        assertThat(combiner.batches()).isZero();
        assertThat(combiner.queued()).isZero();
    }

    @Test
    void requestsQueuedWhileAUnitRunsRunAsOneBatchAndEachCallerGetsItsOwnOutcome()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        Combiner<Integer, String> combiner = new Combiner<>(8, 1, this::doubled);
        Future<String> first = holdFirst(combiner, release);
        List<Future<String>> queued = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            int request = i;
            queued.add(threads.submit(() -> combiner.run(request, r -> "single " + r)));
            awaitQueued(combiner, i);
        }
        release.countDown();
        assertThat(first.get()).isEqualTo("single 0");
        for (int i = 1; i <= 5; i++) {
            assertThat(queued.get(i - 1).get()).isEqualTo("batch " + (i * 2));
        }
        assertThat(batches).containsExactly(List.of(1, 2, 3, 4, 5));
        assertThat(combiner.batches()).isEqualTo(1);
        assertThat(combiner.combined()).isEqualTo(5);
    }

    @Test
    void aBatchHoldsAtMostMaxBatchRequestsInArrivalOrder()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        Combiner<Integer, String> combiner = new Combiner<>(4, 1, this::doubled);
        Future<String> first = holdFirst(combiner, release);
        List<Future<String>> queued = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            int request = i;
            queued.add(threads.submit(() -> combiner.run(request, r -> "single " + r)));
            awaitQueued(combiner, i);
        }
        release.countDown();
        first.get();
        for (int i = 1; i <= 10; i++) {
            assertThat(queued.get(i - 1).get()).isEqualTo("batch " + (i * 2));
        }
        assertThat(batches).containsExactly(List.of(1, 2, 3, 4), List.of(5, 6, 7, 8), List.of(9, 10));
    }

    @Test
    void requestsTheBatchLeavesAloneRunTheirSingleWorkOnTheirOwnThread()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        Combiner<Integer, String> combiner = new Combiner<>(8, 1, requests -> requests.stream()
                .map(r -> r % 2 == 0 ? Combiner.Result.done("batch " + r) : Combiner.Result.<String>alone())
                .toList());
        Future<String> first = holdFirst(combiner, release);
        List<Future<String>> queued = new ArrayList<>();
        Set<String> singleThreads = Collections.synchronizedSet(new HashSet<>());
        for (int i = 1; i <= 4; i++) {
            int request = i;
            queued.add(threads.submit(() -> {
                String caller = Thread.currentThread().getName();
                return combiner.run(request, r -> {
                    assertThat(Thread.currentThread().getName()).isEqualTo(caller);
                    singleThreads.add(caller);
                    return "single " + r;
                });
            }));
            awaitQueued(combiner, i);
        }
        release.countDown();
        first.get();
        assertThat(queued.get(0).get()).isEqualTo("single 1");
        assertThat(queued.get(1).get()).isEqualTo("batch 2");
        assertThat(queued.get(2).get()).isEqualTo("single 3");
        assertThat(queued.get(3).get()).isEqualTo("batch 4");
        assertThat(singleThreads).hasSize(2);
    }

    @Test
    void aFailedBatchFailsItsCallersOnlyAndTheCombinerGoesOn()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        Combiner<Integer, String> combiner = new Combiner<>(8, 1, requests -> {
            if (calls.incrementAndGet() == 1) {
                throw new SQLException("the batch failed");
            }
            return doubled(requests);
        });
        Future<String> first = holdFirst(combiner, release);
        List<Future<String>> queued = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int request = i;
            queued.add(threads.submit(() -> combiner.run(request, r -> "single " + r)));
            awaitQueued(combiner, i);
        }
        release.countDown();
        assertThat(first.get()).isEqualTo("single 0");
        for (Future<String> call : queued) {
            assertThatThrownBy(call::get).isInstanceOf(ExecutionException.class)
                    .hasRootCauseMessage("the batch failed");
        }
        assertThat(combiner.run(9, r -> "single " + r)).isEqualTo("single 9");
        assertThat(combiner.queued()).isZero();
    }

    @Test
    void aLeaderInterruptedInTheBatchThrowsAloneAndTheOthersRunAlone()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        Combiner<Integer, String> combiner = new Combiner<>(8, 1, requests -> {
            throw new InterruptedException("the leader was interrupted");
        });
        Future<String> first = holdFirst(combiner, release);
        List<Future<String>> queued = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int request = i;
            queued.add(threads.submit(() -> combiner.run(request, r -> "single " + r)));
            awaitQueued(combiner, i);
        }
        release.countDown();
        first.get();
        // the oldest queued request leads the batch
        assertThatThrownBy(() -> queued.get(0).get()).hasCauseInstanceOf(InterruptedException.class);
        assertThat(queued.get(1).get()).isEqualTo("single 2");
        assertThat(queued.get(2).get()).isEqualTo("single 3");
    }

    @Test
    void anInterruptedCallerStillGetsItsOutcomeAndKeepsItsInterruptStatus()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        Combiner<Integer, String> combiner = new Combiner<>(8, 1, this::doubled);
        Future<String> first = holdFirst(combiner, release);
        List<Boolean> interrupted = Collections.synchronizedList(new ArrayList<>());
        Thread[] caller = new Thread[1];
        Future<String> second = threads.submit(() -> {
            caller[0] = Thread.currentThread();
            String outcome = combiner.run(1, r -> "single " + r);
            interrupted.add(Thread.currentThread().isInterrupted());
            return outcome;
        });
        awaitQueued(combiner, 1);
        Future<String> third = threads.submit(() -> combiner.run(2, r -> "single " + r));
        awaitQueued(combiner, 2);
        caller[0].interrupt();
        Thread.sleep(50);
        assertThat(second.isDone()).isFalse();
        release.countDown();
        first.get();
        assertThat(second.get()).isEqualTo("batch 2");
        assertThat(third.get()).isEqualTo("batch 4");
        assertThat(interrupted).containsExactly(true);
    }

    /** Many threads at once: every caller gets its own outcome, at most maxInFlight units run, batches form. */
    @Test
    void concurrentCallersEachGetTheirOwnOutcomeWithBoundedUnits()
            throws Exception
    {
        int callers = 16;
        int perCaller = 300;
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostRunning = new AtomicInteger();
        Combiner<Integer, String> combiner = new Combiner<>(6, 2, requests -> {
            enter(running, mostRunning);
            try {
                assertThat(requests.size()).isBetween(2, 6);
                LockSupport.parkNanos(200_000);
                return doubled(requests);
            }
            finally {
                running.decrementAndGet();
            }
        });
        List<Future<Integer>> work = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            int base = c * perCaller;
            work.add(threads.submit(() -> {
                int checked = 0;
                for (int i = 0; i < perCaller; i++) {
                    int request = base + i;
                    String outcome = combiner.run(request, r -> {
                        enter(running, mostRunning);
                        try {
                            // a unit takes a while, so that the other callers queue meanwhile
                            LockSupport.parkNanos(200_000);
                            return "batch " + (r * 2);
                        }
                        finally {
                            running.decrementAndGet();
                        }
                    });
                    assertThat(outcome).isEqualTo("batch " + (request * 2));
                    checked++;
                }
                return checked;
            }));
        }
        int total = 0;
        for (Future<Integer> w : work) {
            total += w.get(50, TimeUnit.SECONDS);
        }
        assertThat(total).isEqualTo(callers * perCaller);
        assertThat(mostRunning.get()).isBetween(1, 2);
        assertThat(combiner.queued()).isZero();
        assertThat(combiner.combined()).isGreaterThan(combiner.batches());
        Set<Integer> seen = new HashSet<>();
        synchronized (batches) {
            for (List<Integer> batch : batches) {
                for (Integer request : batch) {
                    assertThat(seen.add(request)).as("request %s in one batch only", request).isTrue();
                }
            }
        }
    }

    /** Runs request 0 alone, holding its unit until {@code release}; returns once it is inside its single work. */
    private Future<String> holdFirst(Combiner<Integer, String> combiner, CountDownLatch release)
            throws InterruptedException
    {
        CountDownLatch started = new CountDownLatch(1);
        Future<String> first = threads.submit(() -> combiner.run(0, request -> {
            started.countDown();
            release.await();
            return "single " + request;
        }));
        assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();
        return first;
    }

    private static void enter(AtomicInteger running, AtomicInteger mostRunning)
    {
        int now = running.incrementAndGet();
        mostRunning.accumulateAndGet(now, Math::max);
    }

    private List<Combiner.Result<String>> doubled(List<Integer> requests)
    {
        batches.add(List.copyOf(requests));
        return requests.stream().map(r -> Combiner.Result.done("batch " + (r * 2))).toList();
    }

    private static void awaitQueued(Combiner<?, ?> combiner, int count)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (combiner.queued() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + combiner.queued() + " of " + count + " requests queued");
            }
            Thread.sleep(1);
        }
    }
}
