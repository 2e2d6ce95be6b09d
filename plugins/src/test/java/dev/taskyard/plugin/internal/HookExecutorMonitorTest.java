package dev.taskyard.plugin.internal;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The executor's monitor thread: it hands the hooks waiting behind a trusted hook that blocks to a helper (also after
 * a stray interrupt of the monitor, and when the stage starts while the monitor sleeps for want of stages), it sleeps
 * without ticking while no stage is in flight, and it ends when the executor is closed.
 */
class HookExecutorMonitorTest
{
    @Test
    void theMonitorFreesHooksBehindABlockedTrustedHookEvenAfterAStrayInterruptAndEndsOnClose()
            throws Exception
    {
        Monitored monitored = Monitored.create();
        HookExecutor executor = monitored.executor();
        Thread monitor = monitored.monitor();
        try {
            for (int i = 0; i < HookSite.WINDOW; i++) {
                assertThat(values(executor.run("monitor-test", null, List.of(
                        new HookExecutor.Hook<>("a", () -> "a"), new HookExecutor.Hook<>("b", () -> "b")))))
                        .containsExactly("a", "b");
            }
            monitor.interrupt();
            // "a" is trusted now and is entered without a helper; it waits for "b", which only the monitor's
            // helper can start (after 1 ms): without the monitor, "a" gives up after 30 s and the stage fails
            CountDownLatch bRan = new CountDownLatch(1);
            Thread caller = Thread.currentThread();
            Thread[] ranB = new Thread[1];
            List<String> outcome = values(executor.run("monitor-test", null, List.of(
                    new HookExecutor.Hook<>("a", () -> bRan.await(30, TimeUnit.SECONDS) ? "a" : "a gave up"),
                    new HookExecutor.Hook<>("b", () -> {
                        ranB[0] = Thread.currentThread();
                        bRan.countDown();
                        return "b";
                    }))));
            assertThat(outcome).containsExactly("a", "b");
            assertThat(ranB[0]).isNotSameAs(caller);
            assertThat(monitor.isAlive()).isTrue();
        }
        finally {
            executor.close();
        }
        monitor.join(Duration.ofSeconds(10).toMillis());
        assertThat(monitor.isAlive()).as("the monitor thread after close").isFalse();
    }

    @Test
    void theMonitorSleepsWhileNoStageIsInFlightAndTheNextStageWakesIt()
            throws Exception
    {
        Monitored monitored = Monitored.create();
        HookExecutor executor = monitored.executor();
        Thread monitor = monitored.monitor();
        try {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < HookSite.WINDOW; i++) {
                    assertThat(values(executor.run("idle-test", null, List.of(
                            new HookExecutor.Hook<>("a", () -> "a"), new HookExecutor.Hook<>("b", () -> "b")))))
                            .containsExactly("a", "b");
                }
                // no stage in flight: the monitor parks without a timeout (WAITING), where a ticking one would be
                // TIMED_WAITING between its 1 ms ticks
                awaitState(monitor, Thread.State.WAITING);
                for (int sample = 0; sample < 100; sample++) {
                    Thread.sleep(2);
                    assertThat(monitor.getState()).as("the idle monitor, round %s", round)
                            .isEqualTo(Thread.State.WAITING);
                }
                // "a" is trusted and waits for "b", which only the monitor's helper can start: the stage must wake
                // the sleeping monitor (without it, "a" gives up after 30 s)
                CountDownLatch bRan = new CountDownLatch(1);
                assertThat(values(executor.run("idle-test", null, List.of(
                        new HookExecutor.Hook<>("a", () -> bRan.await(30, TimeUnit.SECONDS) ? "a" : "a gave up"),
                        new HookExecutor.Hook<>("b", () -> {
                            bRan.countDown();
                            return "b";
                        }))))).containsExactly("a", "b");
            }
        }
        finally {
            executor.close();
        }
        monitor.join(Duration.ofSeconds(10).toMillis());
        assertThat(monitor.isAlive()).as("the monitor thread after close").isFalse();
    }

    private static void awaitState(Thread thread, Thread.State state)
            throws InterruptedException
    {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (thread.getState() != state && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertThat(thread.getState()).as("state of %s", thread.getName()).isEqualTo(state);
    }

    /** A new executor with defaults and the monitor thread it started. */
    private record Monitored(HookExecutor executor, Thread monitor)
    {
        static Monitored create()
        {
            Set<Thread> before = monitors();
            HookExecutor executor = new HookExecutor(HookExecutor.Settings.defaults());
            Set<Thread> after = monitors();
            after.removeAll(before);
            assertThat(after).as("monitor threads the executor started").hasSize(1);
            return new Monitored(executor, after.iterator().next());
        }
    }

    private static List<String> values(List<HookExecutor.Outcome<String>> outcomes)
    {
        return outcomes.stream().map(o -> o.failed() ? "error: " + o.error() : o.value()).toList();
    }

    private static Set<Thread> monitors()
    {
        Set<Thread> monitors = new HashSet<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("taskyard-hooks-") && thread.getName().endsWith("-monitor")) {
                monitors.add(thread);
            }
        }
        return monitors;
    }
}
