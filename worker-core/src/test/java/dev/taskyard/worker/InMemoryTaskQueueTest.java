package dev.taskyard.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.ExceptionReason;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InMemoryTaskQueueTest
{
    private static final WorkerIdentity WORKER = new WorkerIdentity("g", "w");

    /** A clock tests move by hand. */
    private static final class ManualClock
            extends Clock
    {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

        void advance(Duration duration)
        {
            now.updateAndGet(instant -> instant.plus(duration));
        }

        @Override
        public Instant instant()
        {
            return now.get();
        }

        @Override
        public java.time.ZoneId getZone()
        {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone)
        {
            return this;
        }
    }

    private static TaskSpec task(String id)
    {
        return new TaskSpec(id, JsonNodeFactory.instance.objectNode());
    }

    private static ClaimRequest request(int max)
    {
        return new ClaimRequest(WORKER, max, Duration.ZERO, Duration.ofSeconds(10));
    }

    @Test
    void claimsRenewsAndResolvesIdempotently()
            throws Exception
    {
        ManualClock clock = new ManualClock();
        InMemoryTaskQueue queue = new InMemoryTaskQueue(clock);
        queue.submit(task("a"));
        queue.submit(task("b"));
        List<Claim> claims = queue.claim(request(5));
        assertThat(claims).extracting(c -> c.task().taskId()).containsExactly("a", "b");
        Lease lease = claims.get(0).lease();
        assertThat(lease.attempt()).isZero();
        assertThat(lease.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        clock.advance(Duration.ofSeconds(5));
        Lease renewed = queue.renew(lease);
        assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        queue.resolve(renewed, TaskResolution.completed());
        queue.resolve(renewed, TaskResolution.completed());
        assertThat(queue.resolution("a")).contains(TaskResolution.completed());
        assertThatThrownBy(() -> queue.renew(renewed)).isInstanceOf(LeaseLostException.class);
        assertThat(queue.claim(request(5))).isEmpty();
    }

    @Test
    void anExpiredLeaseHandsTheTaskOutAgainWithTheNextAttempt()
            throws Exception
    {
        ManualClock clock = new ManualClock();
        InMemoryTaskQueue queue = new InMemoryTaskQueue(clock);
        queue.submit(task("a"));
        Lease first = queue.claim(request(1)).get(0).lease();
        clock.advance(Duration.ofSeconds(11));
        assertThatThrownBy(() -> queue.renew(first)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(((LeaseLostException) e).reason())
                        .isEqualTo(LeaseLostException.Reason.EXPIRED));
        Lease second = queue.claim(request(1)).get(0).lease();
        assertThat(second.attempt()).isEqualTo(1);
        assertThat(second.runId()).isEqualTo("1");
        assertThatThrownBy(() -> queue.resolve(first, TaskResolution.failed())).isInstanceOf(LeaseLostException.class);
        queue.resolve(second, TaskResolution.completed());
        assertThat(queue.resolution("a")).contains(TaskResolution.completed());
        assertThat(queue.attempts("a")).isEqualTo(2);
    }

    @Test
    void cancellingResolvesPendingTasksAndRevokesRunningLeases()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        queue.submit(task("pending"));
        queue.submit(task("running"));
        queue.cancel("pending");
        assertThat(queue.resolution("pending")).contains(TaskResolution.exception(ExceptionReason.CANCELED));
        Lease lease = queue.claim(request(5)).get(0).lease();
        assertThat(lease.taskId()).isEqualTo("running");
        queue.cancel("running");
        assertThatThrownBy(() -> queue.renew(lease)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(((LeaseLostException) e).reason())
                        .isEqualTo(LeaseLostException.Reason.CANCELED));
    }

    @Test
    void concurrentClaimsNeverHandOutATaskTwice()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        for (int i = 0; i < 2000; i++) {
            queue.submit(task("t" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> workers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                workers.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    while (true) {
                        List<Claim> claims =
                                queue.claim(new ClaimRequest(WORKER, 3, Duration.ZERO, Duration.ofMinutes(1)));
                        if (claims.isEmpty()) {
                            return mine;
                        }
                        for (Claim claim : claims) {
                            mine.add(claim.task().taskId());
                            queue.resolve(claim.lease(), TaskResolution.completed());
                        }
                    }
                }));
            }
            Set<String> seen = new HashSet<>();
            int total = 0;
            for (Future<List<String>> worker : workers) {
                List<String> ids = worker.get();
                total += ids.size();
                seen.addAll(ids);
            }
            assertThat(total).isEqualTo(2000);
            assertThat(seen).hasSize(2000);
            assertThat(queue.awaitAllResolved(Duration.ZERO)).isTrue();
        }
        finally {
            pool.shutdown();
        }
    }

    @Test
    void aCancelIsPushedOnceToTheListenersOfTheCurrentLease()
            throws Exception
    {
        ManualClock clock = new ManualClock();
        InMemoryTaskQueue queue = new InMemoryTaskQueue(clock);
        queue.submit(task("a"));
        Lease first = queue.claim(request(1)).get(0).lease();
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        TaskQueue.Subscription stale = queue.onCancel(first, () -> told.add("first"));
        // the first lease expires and the task is handed out again: only the new lease's listener hears of the cancel
        clock.advance(Duration.ofSeconds(11));
        Lease second = queue.claim(request(1)).get(0).lease();
        assertThat(second.attempt()).isEqualTo(1);
        assertThat(queue.onCancel(first, () -> told.add("first again"))).isSameAs(TaskQueue.Subscription.NONE);
        TaskQueue.Subscription current = queue.onCancel(second, () -> told.add("second"));
        TaskQueue.Subscription closed = queue.onCancel(second, () -> told.add("closed"));
        closed.close();
        closed.close();
        queue.cancel("a");
        queue.cancel("a");
        assertThat(told).containsExactly("second");
        // registering after the cancel runs the listener at once
        queue.onCancel(second, () -> told.add("late"));
        assertThat(told).containsExactly("second", "late");
        current.close();
        stale.close();
        assertThat(queue.resolution("a")).contains(TaskResolution.exception(ExceptionReason.CANCELED));
    }

    @Test
    void aFailingCancelListenerDoesNotKeepTheOthersFromHearing()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        queue.submit(task("a"));
        Lease lease = queue.claim(request(1)).get(0).lease();
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        queue.onCancel(lease, () -> {
            throw new IllegalStateException("a broken listener");
        });
        queue.onCancel(lease, () -> told.add("second"));
        queue.cancel("a");
        assertThat(told).containsExactly("second");
    }
}
