package dev.taskyard.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.taskyard.engine.WorkerIdentity;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SharedClaimsTest
{
    private static final WorkerIdentity WORKER = new WorkerIdentity("group", "w1");

    private static ClaimRequest request(Duration maxWait)
    {
        return new ClaimRequest(WORKER, 1, maxWait, Duration.ofMinutes(1));
    }

    private static void submit(InMemoryTaskQueue queue, int count)
    {
        for (int i = 0; i < count; i++) {
            queue.submit(new TaskSpec("t" + i, JsonNodeFactory.instance.objectNode()));
        }
    }

    /** An in-memory queue that counts its claims and records how many tasks each asked for. */
    private static class CountingQueue
            implements TaskQueue
    {
        final InMemoryTaskQueue delegate;
        final AtomicInteger claims = new AtomicInteger();
        final List<Integer> asked = new CopyOnWriteArrayList<>();

        CountingQueue(InMemoryTaskQueue delegate)
        {
            this.delegate = delegate;
        }

        @Override
        public List<Claim> claim(ClaimRequest request)
                throws QueueException, InterruptedException
        {
            claims.incrementAndGet();
            asked.add(request.max());
            return delegate.claim(request);
        }

        @Override
        public Lease renew(Lease lease)
                throws QueueException
        {
            return delegate.renew(lease);
        }

        @Override
        public void resolve(Lease lease, TaskResolution resolution)
                throws QueueException
        {
            delegate.resolve(lease, resolution);
        }
    }

    @Test
    void aBacklogIsClaimedInBatchesAndEveryTaskIsHandedOutOnce()
            throws Exception
    {
        InMemoryTaskQueue memory = new InMemoryTaskQueue();
        submit(memory, 2_000);
        CountingQueue queue = new CountingQueue(memory)
        {
            @Override
            public List<Claim> claim(ClaimRequest request)
                    throws QueueException, InterruptedException
            {
                Thread.sleep(1); // a claim takes a while (a database round trip): the other threads line up
                return super.claim(request);
            }
        };
        SharedClaims shared = new SharedClaims(queue, 8);
        int threads = 8;
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostRunning = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                work.add(pool.submit(() -> {
                    while (true) {
                        List<Claim> claims = shared.take(request(Duration.ofMillis(50)));
                        if (claims.isEmpty()) {
                            return null;
                        }
                        assertThat(claims).hasSize(1);
                        mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                        Claim claim = claims.get(0);
                        if (!seen.add(claim.task().taskId())) {
                            duplicates.incrementAndGet();
                        }
                        Thread.yield();
                        running.decrementAndGet();
                        queue.resolve(claim.lease(), TaskResolution.completed());
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(seen).hasSize(2_000);
        assertThat(duplicates).hasValue(0);
        assertThat(mostRunning.get()).isLessThanOrEqualTo(threads);
        assertThat(queue.asked).allSatisfy(max -> assertThat(max).isBetween(1, 8));
        assertThat(shared.drain()).isEmpty();
        assertThat(shared.handedOut()).isEqualTo(2_000);
        // with one thread claiming for every thread that waits, a backlog needs fewer queue claims than tasks (one
        // claim per task before); how many fewer depends on the scheduling, so only "at most half" is asserted
        assertThat(queue.claims.get()).isLessThan(1_000);
        assertThat(queue.asked).anySatisfy(max -> assertThat(max).isGreaterThan(1));
    }

    @Test
    void theNextLeaderAsksForEveryWaitingThreadAndHandsThemTheRest()
            throws Exception
    {
        InMemoryTaskQueue memory = new InMemoryTaskQueue();
        CountDownLatch firstIn = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountingQueue queue = new CountingQueue(memory)
        {
            @Override
            public List<Claim> claim(ClaimRequest request)
                    throws QueueException, InterruptedException
            {
                if (claims.incrementAndGet() == 1) {
                    firstIn.countDown();
                    releaseFirst.await(); // the other threads line up behind the first leader meanwhile
                }
                asked.add(request.max());
                return delegate.claim(request);
            }
        };
        SharedClaims shared = new SharedClaims(queue, 16);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<List<Claim>> first = pool.submit(() -> shared.take(request(Duration.ofSeconds(10))));
            assertThat(firstIn.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<List<Claim>>> others = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                others.add(pool.submit(() -> shared.take(request(Duration.ofSeconds(10)))));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (waiting(shared) < 3 && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            assertThat(waiting(shared)).isEqualTo(3);
            submit(memory, 10);
            releaseFirst.countDown();
            Set<String> taken = new java.util.HashSet<>();
            assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(1).allSatisfy(c -> taken.add(c.task().taskId()));
            for (Future<List<Claim>> other : others) {
                assertThat(other.get(10, TimeUnit.SECONDS)).hasSize(1).allSatisfy(c -> taken.add(c.task().taskId()));
            }
            assertThat(taken).containsExactlyInAnyOrder("t0", "t1", "t2", "t3");
            // the first leader found nobody waiting; the next one claimed for itself and the two still waiting
            assertThat(queue.asked).containsExactly(1, 3);
            assertThat(shared.drain()).isEmpty();
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void claimsLeftByInterruptedThreadsAreDrained()
            throws Exception
    {
        InMemoryTaskQueue memory = new InMemoryTaskQueue();
        CountDownLatch firstIn = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        CountDownLatch secondIn = new CountDownLatch(1);
        CountDownLatch releaseSecond = new CountDownLatch(1);
        CountingQueue queue = new CountingQueue(memory)
        {
            @Override
            public List<Claim> claim(ClaimRequest request)
                    throws QueueException, InterruptedException
            {
                int n = claims.incrementAndGet();
                asked.add(request.max());
                if (n == 1) {
                    firstIn.countDown();
                    releaseFirst.await();
                }
                else if (n == 2) {
                    secondIn.countDown();
                    // like a database call that ignores interrupts: the claim is made even though the stop
                    // interrupted the thread meanwhile
                    while (releaseSecond.getCount() > 0) {
                        try {
                            releaseSecond.await();
                        }
                        catch (InterruptedException e) {
                            // keep going
                        }
                    }
                }
                return delegate.claim(request);
            }
        };
        SharedClaims shared = new SharedClaims(queue, 16);
        List<List<Claim>> results = new CopyOnWriteArrayList<>();
        AtomicInteger interrupted = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        Runnable take = () -> {
            try {
                results.add(shared.take(request(Duration.ofSeconds(10))));
            }
            catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
            catch (QueueException e) {
                throw new IllegalStateException(e);
            }
        };
        threads.add(new Thread(take));
        threads.get(0).start();
        assertThat(firstIn.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < 3; i++) {
            threads.add(new Thread(take));
            threads.get(i + 1).start();
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (waiting(shared) < 3 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        submit(memory, 5);
        releaseFirst.countDown();
        // one of the three becomes the next leader and claims for itself and the two others
        assertThat(secondIn.await(10, TimeUnit.SECONDS)).isTrue();
        while (waiting(shared) < 2 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        for (Thread thread : threads) {
            thread.interrupt(); // the worker interrupts waiting threads at a stop
        }
        while (waiting(shared) > 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        releaseSecond.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        assertThat(queue.asked).containsExactly(1, 3);
        assertThat(interrupted).hasValue(2);
        assertThat(results).hasSize(2).allSatisfy(claims -> assertThat(claims).hasSize(1));
        assertThat(results.stream().map(c -> c.get(0).task().taskId())).containsExactlyInAnyOrder("t0", "t1");
        assertThat(shared.drain()).extracting(c -> c.task().taskId()).containsExactly("t2", "t3");
        assertThat(shared.drain()).isEmpty();
    }

    @Test
    void anIdleThreadGetsNothingAfterItsWait()
            throws Exception
    {
        SharedClaims shared = new SharedClaims(new InMemoryTaskQueue(), 4);
        assertThat(shared.take(request(Duration.ofMillis(50)))).isEmpty();
        assertThat(shared.queueClaims()).isEqualTo(1);
        assertThat(shared.handedOut()).isZero();
    }

    private static int waiting(SharedClaims shared)
    {
        return shared.waitingThreads();
    }
}
