package dev.taskyard.store.postgres.internal;

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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CombinerTest
{
    @Test
    void concurrentCallersShareBatchesAndEachGetsItsOwnResult()
            throws Exception
    {
        List<List<Integer>> batches = new CopyOnWriteArrayList<>();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostRunning = new AtomicInteger();
        Combiner<Integer, Integer> combiner = new Combiner<>(items -> {
            mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            batches.add(items);
            Thread.sleep(5);
            running.decrementAndGet();
            return items.stream().map(i -> i * 10).toList();
        }, 2, 8);
        int threads = 8;
        int calls = 25;
        List<Integer> wrong = run(threads, thread -> {
            List<Integer> mismatches = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int item = thread * 1000 + i;
                int result = combiner.submit(item, item);
                if (result != item * 10) {
                    mismatches.add(item);
                }
            }
            return mismatches;
        });
        assertThat(wrong).isEmpty();
        assertThat(batches.stream().mapToInt(List::size).sum()).isEqualTo(threads * calls);
        assertThat(batches.stream().flatMap(List::stream).distinct().count()).isEqualTo(threads * calls);
        assertThat(batches).as("8 callers on 2 slots share batches").hasSizeLessThan(threads * calls);
        assertThat(batches).allSatisfy(batch -> assertThat(batch).hasSizeLessThanOrEqualTo(8));
        assertThat(mostRunning.get()).isLessThanOrEqualTo(2);
    }

    @Test
    void itemsWithOneKeyNeverRunAtTheSameTime()
            throws Exception
    {
        Set<String> runningKeys = ConcurrentHashMap.newKeySet();
        List<String> overlaps = new CopyOnWriteArrayList<>();
        Combiner<String, String> combiner = new Combiner<>(items -> {
            for (String item : items) {
                if (!runningKeys.add(item)) {
                    overlaps.add(item);
                }
            }
            Thread.sleep(2);
            items.forEach(runningKeys::remove);
            return items;
        }, 3, 16);
        List<String> wrong = run(6, thread -> {
            List<String> mismatches = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String key = "k" + i % 3; // every thread uses the same three keys
                if (!combiner.submit(key, key).equals(key)) {
                    mismatches.add(key);
                }
            }
            return mismatches;
        });
        assertThat(wrong).isEmpty();
        assertThat(overlaps).isEmpty();
    }

    @Test
    void aFailedBatchRunsEveryItemAloneSoThatOnlyTheBadOneFails()
            throws Exception
    {
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch queued = new CountDownLatch(1);
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        Combiner<String, String> combiner = new Combiner<>(items -> {
            batches.add(items);
            if (items.equals(List.of("first"))) {
                firstRunning.countDown();
                queued.await(); // holds the only slot until the others are queued
                return items;
            }
            if (items.contains("bad")) {
                throw new IllegalArgumentException("bad item");
            }
            return items.stream().map(String::toUpperCase).toList();
        }, 1, 8);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            Future<String> first = pool.submit(() -> combiner.submit("first", "first"));
            firstRunning.await();
            Future<String> good = pool.submit(() -> combiner.submit("good", "good"));
            Future<String> bad = pool.submit(() -> combiner.submit("bad", "bad"));
            Future<String> other = pool.submit(() -> combiner.submit("other", "other"));
            Thread.sleep(200); // lets the three queue behind the running batch
            queued.countDown();
            assertThat(first.get()).isEqualTo("first");
            assertThat(good.get()).isEqualTo("GOOD");
            assertThat(other.get()).isEqualTo("OTHER");
            assertThatThrownBy(bad::get).hasCauseInstanceOf(IllegalArgumentException.class);
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(batches).anySatisfy(batch -> assertThat(batch).hasSizeGreaterThan(1).contains("bad"));
        assertThat(batches).contains(List.of("good"), List.of("bad"), List.of("other"));
    }

    @Test
    void aBatchOfOnePassesItsFailureOn()
    {
        Combiner<String, String> combiner = new Combiner<>(items -> {
            throw new IllegalStateException("down");
        }, 1, 8);
        assertThatThrownBy(() -> combiner.submit("a", "a")).isInstanceOf(IllegalStateException.class)
                .hasMessage("down");
    }

    private interface Caller<T>
    {
        List<T> call(int thread)
                throws Exception;
    }

    private static <T> List<T> run(int threads, Caller<T> caller)
            throws Exception
    {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<List<T>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    go.await();
                    return caller.call(thread);
                }));
            }
            go.countDown();
            List<T> all = new ArrayList<>();
            for (Future<List<T>> future : futures) {
                all.addAll(future.get(30, TimeUnit.SECONDS));
            }
            return all;
        }
        finally {
            pool.shutdownNow();
        }
    }
}
