package dev.taskyard.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.engine.TestThreads.TIMEOUT;
import static dev.taskyard.engine.TestThreads.awaitParked;
import static dev.taskyard.engine.TestThreads.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskContextTest
{
    @TempDir
    Path spillFolder;

    private TaskContext newContext()
    {
        return TaskContext.builder().taskId("task-1").runId("2").logSpillFolder(spillFolder).build();
    }

    @Test
    void builderDefaults()
    {
        TaskContext first = TaskContext.builder().logSpillFolder(spillFolder).build();
        TaskContext second = TaskContext.builder().logSpillFolder(spillFolder).build();

        assertThat(first.taskId()).isNotBlank().isNotEqualTo(second.taskId());
        assertThat(first.runId()).isEqualTo("0");
        assertThat(first.deadline()).isEmpty();
        assertThat(first.isCancelled()).isFalse();
        assertThat(first.cancellationReason()).isEmpty();
        assertThat(first.log().isClosed()).isFalse();
        assertThat(first.toString()).contains(first.taskId()).contains("run 0");
    }

    @Test
    void identityIsExposed()
    {
        TaskContext context = newContext();

        assertThat(context.taskId()).isEqualTo("task-1");
        assertThat(context.runId()).isEqualTo("2");
    }

    @Test
    void deadlineIsExposed()
    {
        Instant deadline = Instant.parse("2031-02-03T04:05:06Z");

        assertThat(TaskContext.builder().deadline(deadline).build().deadline()).contains(deadline);
    }

    @Test
    void deadlineInIsRelativeToNow()
    {
        Instant before = Instant.now();
        TaskContext context = TaskContext.builder().deadlineIn(Duration.ofHours(1)).build();
        Instant after = Instant.now();

        assertThat(context.deadline()).hasValueSatisfying(deadline ->
                assertThat(deadline).isBetween(before.plus(Duration.ofHours(1)), after.plus(Duration.ofHours(1))));
    }

    @Test
    void cancelRunsEachListenerOnceAndKeepsTheFirstReason()
    {
        TaskContext context = newContext();
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        context.onCancel(first::incrementAndGet);
        context.onCancel(second::incrementAndGet);

        context.cancel("first reason");
        context.cancel("second reason");

        assertThat(context.isCancelled()).isTrue();
        assertThat(context.cancellationReason()).contains("first reason");
        assertThat(first).hasValue(1);
        assertThat(second).hasValue(1);
    }

    @Test
    void listenersRunOnTheCancellingThread()
            throws Exception
    {
        TaskContext context = newContext();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        context.onCancel(() -> ranOn.set(Thread.currentThread()));
        Thread canceller = new Thread(() -> context.cancel("stop"), "canceller");

        canceller.start();
        join(canceller);

        assertThat(ranOn.get()).isSameAs(canceller);
    }

    @Test
    void onCancelAfterCancellationFiresAtOnceOnTheCallingThread()
    {
        TaskContext context = newContext();
        context.cancel("gone");
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();

        TaskContext.Registration registration = context.onCancel(() -> {
            calls.incrementAndGet();
            ranOn.set(Thread.currentThread());
        });

        assertThat(calls).hasValue(1);
        assertThat(ranOn.get()).isSameAs(Thread.currentThread());
        registration.close();
        context.cancel("again");
        assertThat(calls).hasValue(1);
    }

    @Test
    void closingARegistrationRemovesTheListener()
    {
        TaskContext context = newContext();
        AtomicInteger removed = new AtomicInteger();
        AtomicInteger kept = new AtomicInteger();
        TaskContext.Registration registration = context.onCancel(removed::incrementAndGet);
        context.onCancel(kept::incrementAndGet);

        registration.close();
        registration.close();
        context.cancel("stop");

        assertThat(removed).hasValue(0);
        assertThat(kept).hasValue(1);
    }

    @Test
    void theSameRunnableRegisteredTwiceRunsTwice()
    {
        TaskContext context = newContext();
        AtomicInteger calls = new AtomicInteger();
        Runnable listener = calls::incrementAndGet;
        context.onCancel(listener);
        context.onCancel(listener);

        context.cancel("stop");

        assertThat(calls).hasValue(2);
    }

    @Test
    void failingListenerDoesNotStopTheOthers()
    {
        TaskContext context = newContext();
        AtomicInteger calls = new AtomicInteger();
        context.onCancel(() -> {
            throw new IllegalStateException("listener failure (expected by the test)");
        });
        context.onCancel(calls::incrementAndGet);

        assertThatCode(() -> context.cancel("stop")).doesNotThrowAnyException();
        assertThat(calls).hasValue(1);
        assertThatCode(() -> context.onCancel(() -> {
            throw new IllegalStateException("late listener failure (expected by the test)");
        })).doesNotThrowAnyException();
    }

    @Test
    void listenerMayRegisterAnotherListener()
    {
        TaskContext context = newContext();
        AtomicInteger inner = new AtomicInteger();
        context.onCancel(() -> context.onCancel(inner::incrementAndGet));

        context.cancel("stop");

        assertThat(inner).hasValue(1);
    }

    @Test
    void awaitCancellationTimesOutWhileNotCancelled()
            throws Exception
    {
        TaskContext context = newContext();

        assertThat(context.awaitCancellation(Duration.ZERO)).isFalse();
        assertThat(context.awaitCancellation(Duration.ofMillis(1))).isFalse();
    }

    @Test
    void awaitCancellationReturnsAtOnceWhenCancelled()
            throws Exception
    {
        TaskContext context = newContext();
        context.cancel("stop");

        assertThat(context.awaitCancellation(Duration.ZERO)).isTrue();
    }

    @Test
    void awaitCancellationWakesUpWhenCancelled()
            throws Exception
    {
        TaskContext context = newContext();
        CompletableFuture<Boolean> awaited = new CompletableFuture<>();
        Thread waiter = new Thread(() -> {
            try {
                awaited.complete(context.awaitCancellation(TIMEOUT.multipliedBy(2)));
            }
            catch (Throwable e) {
                awaited.completeExceptionally(e);
            }
        }, "waiter");
        waiter.start();
        awaitParked(waiter);

        context.cancel("stop");

        assertThat(awaited.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        join(waiter);
    }

    @Test
    void awaitCancellationIsInterruptible()
    {
        TaskContext context = newContext();
        Thread.currentThread().interrupt();

        assertThatThrownBy(() -> context.awaitCancellation(TIMEOUT)).isInstanceOf(InterruptedException.class);
        assertThat(Thread.interrupted()).isFalse();
    }

    @Test
    void checkNotCancelledThrowsTaskCanceledExceptionOnceCancelled()
            throws Exception
    {
        TaskContext context = newContext();
        context.checkNotCancelled();

        context.cancel("the user gave up");

        assertThatThrownBy(context::checkNotCancelled)
                .isInstanceOf(TaskCanceledException.class)
                .hasMessageContaining("task-1")
                .hasMessageContaining("the user gave up")
                .satisfies(e -> assertThat(((EngineException) e).code()).isEqualTo(ErrorCode.CANCELED));
    }

    @Test
    void cancelRefusesANullReason()
    {
        TaskContext context = newContext();

        assertThatThrownBy(() -> context.cancel(null)).isInstanceOf(NullPointerException.class);
        assertThat(context.isCancelled()).isFalse();
        assertThatThrownBy(() -> context.onCancel(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void concurrentCancelFiresEachListenerExactlyOnce()
            throws Exception
    {
        for (int round = 0; round < 50; round++) {
            TaskContext context = newContext();
            List<AtomicInteger> counts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                AtomicInteger count = new AtomicInteger();
                counts.add(count);
                context.onCancel(count::incrementAndGet);
            }
            AtomicInteger reasonIndex = new AtomicInteger();

            TestThreads.runTogether(8, () -> {
                context.cancel("reason " + reasonIndex.getAndIncrement());
                return null;
            });

            assertThat(counts).allSatisfy(count -> assertThat(count).hasValue(1));
            assertThat(context.cancellationReason())
                    .hasValueSatisfying(reason -> assertThat(reason).matches("reason [0-7]"));
        }
    }

    @Test
    void listenersRegisteredConcurrentlyWithCancelFireExactlyOnce()
            throws Exception
    {
        for (int round = 0; round < 50; round++) {
            TaskContext context = newContext();
            ConcurrentLinkedQueue<AtomicInteger> counts = new ConcurrentLinkedQueue<>();
            List<java.util.concurrent.Callable<Object>> tasks = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                tasks.add(() -> {
                    for (int i = 0; i < 50; i++) {
                        AtomicInteger count = new AtomicInteger();
                        counts.add(count);
                        context.onCancel(count::incrementAndGet);
                    }
                    return null;
                });
                tasks.add(() -> {
                    context.cancel("stop");
                    return null;
                });
            }

            TestThreads.runTogether(tasks);

            assertThat(counts).hasSize(200).allSatisfy(count -> assertThat(count).hasValue(1));
        }
    }

    @Test
    void cancelWakesEveryWaiter()
            throws Exception
    {
        TaskContext context = newContext();
        CountDownLatch woken = new CountDownLatch(4);
        List<Thread> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread waiter = new Thread(() -> {
                try {
                    if (context.awaitCancellation(TIMEOUT.multipliedBy(2))) {
                        woken.countDown();
                    }
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiters.add(waiter);
            waiter.start();
        }
        waiters.forEach(TestThreads::awaitParked);

        context.cancel("stop");

        TestThreads.await(woken);
        for (Thread waiter : waiters) {
            join(waiter);
        }
    }

    @Test
    void theLogFollowsTheBuilderSettings()
            throws Exception
    {
        TaskContext context = TaskContext.builder().logSpillFolder(spillFolder).logMemoryLimit(8).logCap(20).build();
        context.log().write("0123456789".repeat(3));

        assertThat(context.log().isSpilled()).isTrue();
        assertThat(context.log().size()).isEqualTo(20);
        assertThat(context.log().droppedBytes()).isEqualTo(10);
        try (Stream<Path> files = Files.list(spillFolder)) {
            assertThat(files).hasSize(1);
        }

        context.dispose();

        assertThat(context.log().isClosed()).isTrue();
        try (Stream<Path> files = Files.list(spillFolder)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void disposeForgetsTheListeners()
    {
        TaskContext context = newContext();
        AtomicInteger calls = new AtomicInteger();
        context.onCancel(calls::incrementAndGet);

        context.dispose();
        context.cancel("after dispose");

        assertThat(calls).hasValue(0);
        assertThat(context.isCancelled()).isTrue();
    }

    @Test
    void builderRefusesNulls()
    {
        TaskContext.Builder builder = TaskContext.builder();

        assertThatThrownBy(() -> builder.taskId(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.runId(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.logSpillFolder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.logMemoryLimit(0).build()).isInstanceOf(IllegalArgumentException.class);
    }
}
