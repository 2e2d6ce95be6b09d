package dev.taskyard.engine.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.engine.ErrorCode;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.TestThreads;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConcurrencyLimiterTest
{
    @Test
    void maxIsEnforced()
            throws Exception
    {
        ConcurrencyLimiter limiter = new ConcurrencyLimiter(2);
        ConcurrencyLimiter.Permit first = limiter.acquire();
        limiter.acquire();

        assertThat(limiter.live()).isEqualTo(2);
        assertThatThrownBy(limiter::acquire)
                .isInstanceOfSatisfying(MaxConcurrencyExceededException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MAX_CONCURRENCY_EXCEEDED))
                .hasMessageContaining("2");
        assertThat(limiter.live()).isEqualTo(2);

        first.release();

        assertThat(limiter.live()).isEqualTo(1);
        limiter.acquire();
        assertThat(limiter.live()).isEqualTo(2);
    }

    @Test
    void releaseIsIdempotent()
            throws Exception
    {
        ConcurrencyLimiter limiter = new ConcurrencyLimiter(2);
        ConcurrencyLimiter.Permit first = limiter.acquire();
        limiter.acquire();

        first.release();
        first.release();

        assertThat(limiter.live()).isEqualTo(1);
        limiter.acquire();
        assertThatThrownBy(limiter::acquire).isInstanceOf(MaxConcurrencyExceededException.class);
    }

    @Test
    void zeroMeansUnbounded()
            throws Exception
    {
        ConcurrencyLimiter limiter = new ConcurrencyLimiter(0);
        for (int i = 0; i < 10_000; i++) {
            limiter.acquire();
        }

        assertThat(limiter.live()).isEqualTo(10_000);
    }

    @Test
    void negativeMaxIsRefused()
    {
        assertThatThrownBy(() -> new ConcurrencyLimiter(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** 8 threads acquire together and hold their permits until all have tried: exactly {@code max} succeed. */
    @Test
    void exactlyMaxOfEightConcurrentAcquirersSucceed()
            throws Exception
    {
        for (int round = 0; round < 50; round++) {
            ConcurrencyLimiter limiter = new ConcurrencyLimiter(3);
            CountDownLatch tried = new CountDownLatch(8);
            List<Callable<ConcurrencyLimiter.Permit>> tasks = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                tasks.add(() -> {
                    try {
                        return limiter.acquire();
                    }
                    catch (MaxConcurrencyExceededException e) {
                        return null;
                    }
                    finally {
                        tried.countDown();
                        TestThreads.await(tried);
                    }
                });
            }

            List<ConcurrencyLimiter.Permit> permits = TestThreads.runTogether(tasks);

            assertThat(permits.stream().filter(p -> p != null)).hasSize(3);
            assertThat(limiter.live()).isEqualTo(3);
            permits.stream().filter(p -> p != null).forEach(ConcurrencyLimiter.Permit::release);
            assertThat(limiter.live()).isZero();
        }
    }

    /** Under churn the number of permits held at once never exceeds max, and everything comes back. */
    @Test
    void maxHoldsUnderChurn()
            throws Exception
    {
        ConcurrencyLimiter limiter = new ConcurrencyLimiter(3);
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();

        TestThreads.runTogether(8, () -> {
            for (int i = 0; i < 5_000; i++) {
                ConcurrencyLimiter.Permit permit;
                try {
                    permit = limiter.acquire();
                }
                catch (MaxConcurrencyExceededException e) {
                    continue;
                }
                mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                holders.decrementAndGet();
                permit.release();
                permit.release();
            }
            return null;
        });

        assertThat(mostHolders.get()).isBetween(1, 3);
        assertThat(limiter.live()).isZero();
    }
}
