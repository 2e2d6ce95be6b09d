package dev.taskyard.plugin.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A hook site's trust: earned by {@link HookSite#WINDOW} runs, kept through up to {@link HookSite#MAX_SLOW} slow runs
 * among the latest ones, lost by one more; and what it changes in a stage: a helper stands by for the hooks behind an
 * untrusted hook, none behind a trusted one.
 */
class HookSiteTest
{
    private static final long QUICK = 1_000;
    private static final long SLOW = HookSite.QUICK_NANOS;

    @Test
    void aNewSiteIsTrustedAfterAWindowOfQuickRuns()
    {
        HookSite site = new HookSite();
        for (int i = 0; i < HookSite.WINDOW - 1; i++) {
            site.record(QUICK);
            assertThat(site.trusted()).as("after %d runs", i + 1).isFalse();
        }
        site.record(QUICK);
        assertThat(site.trusted()).isTrue();
    }

    @Test
    void aFewSlowRunsAmongTheLatestKeepTheTrustOneMoreLosesIt()
    {
        HookSite site = trustedSite();
        for (int i = 0; i < HookSite.MAX_SLOW; i++) {
            site.record(SLOW);
            site.record(QUICK);
            assertThat(site.trusted()).as("after %d slow runs", i + 1).isTrue();
        }
        site.record(SLOW);
        assertThat(site.trusted()).isFalse();
    }

    @Test
    void theTrustComesBackOnceTheSlowRunsLeaveTheWindow()
    {
        HookSite site = trustedSite();
        for (int i = 0; i <= HookSite.MAX_SLOW; i++) {
            site.record(SLOW);
        }
        assertThat(site.trusted()).isFalse();
        // the first slow run leaves the window after WINDOW - MAX_SLOW quick runs
        for (int i = 0; i < HookSite.WINDOW - HookSite.MAX_SLOW - 1; i++) {
            site.record(QUICK);
            assertThat(site.trusted()).as("after %d quick runs", i + 1).isFalse();
        }
        site.record(QUICK);
        assertThat(site.trusted()).isTrue();
    }

    @Test
    void aSiteSlowInEveryRunIsNeverTrusted()
    {
        HookSite site = new HookSite();
        for (int i = 0; i < 3 * HookSite.WINDOW; i++) {
            site.record(SLOW + i);
            assertThat(site.trusted()).isFalse();
        }
    }

    @Test
    void concurrentRecordsLeaveAConsistentSite()
            throws Exception
    {
        HookSite site = new HookSite();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(threads.submit(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        site.record(QUICK);
                        site.trusted();
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get(30, TimeUnit.SECONDS);
            }
        }
        finally {
            threads.shutdownNow();
        }
        assertThat(site.trusted()).isTrue();
        for (int i = 0; i <= HookSite.MAX_SLOW; i++) {
            site.record(SLOW);
        }
        assertThat(site.trusted()).isFalse();
    }

    @Test
    void aHelperStandsByBehindAnUntrustedHookOnlyNeverBehindATrustedOne()
    {
        HookSite first = trustedSite();
        HookSite second = trustedSite();
        for (int i = 0; i < HookSite.MAX_SLOW; i++) {
            first.record(SLOW);
        }
        CountingPool pool = new CountingPool();
        assertThat(runStage(pool, first, second)).containsExactly("a", "b");
        assertThat(pool.submitted.get()).as("helpers behind a trusted hook with %d slow runs", HookSite.MAX_SLOW)
                .isZero();

        first.record(SLOW);
        assertThat(runStage(pool, first, second)).containsExactly("a", "b");
        assertThat(pool.submitted.get()).as("helpers behind a hook with one slow run too many").isOne();
    }

    private static List<String> runStage(ExecutorService pool, HookSite... sites)
    {
        List<HookExecutor.Hook<String>> hooks = List.of(new HookExecutor.Hook<>("a", () -> "a"),
                new HookExecutor.Hook<>("b", () -> "b"));
        StageRun<String> run = new StageRun<>("test", null, hooks, sites, pool, Duration.ofMinutes(1),
                Duration.ofMillis(1), new StageRun.Host()
                {
                    @Override
                    public void livelocked()
                    {
                    }

                    @Override
                    public void stuck(HookExecutor.StuckHook hook)
                    {
                    }

                    @Override
                    public void released()
                    {
                    }
                });
        return run.execute().stream().map(HookExecutor.Outcome::value).toList();
    }

    private static HookSite trustedSite()
    {
        HookSite site = new HookSite();
        for (int i = 0; i < HookSite.WINDOW; i++) {
            site.record(QUICK);
        }
        assertThat(site.trusted()).isTrue();
        return site;
    }

    /** Runs submitted helpers at once on the submitting thread and counts them. */
    private static final class CountingPool
            extends AbstractExecutorService
    {
        final AtomicInteger submitted = new AtomicInteger();

        @Override
        public void execute(Runnable command)
        {
            submitted.incrementAndGet();
            command.run();
        }

        @Override
        public void shutdown()
        {
        }

        @Override
        public List<Runnable> shutdownNow()
        {
            return List.of();
        }

        @Override
        public boolean isShutdown()
        {
            return false;
        }

        @Override
        public boolean isTerminated()
        {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit)
        {
            return true;
        }
    }
}
