package dev.taskyard.engine.testkit.contract;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.time.Duration;

import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.ProxyResponse;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Builder rules: single use, discard before and during start, thread-safety, max concurrency, declarations. */
public interface BuilderContract
        extends ContractCase
{
    @Test
    default void discardBeforeStart()
            throws Exception
    {
        List<String> before = tracker().live();
        KitRun run = newRun(payloads().silent());
        expectSuccess(ContractRule.BUILDER_SINGLE_USE, "discard", () -> run.builder().discard());
        expectSuccess(ContractRule.BUILDER_SINGLE_USE, "a second discard", () -> run.builder().discard());
        expectError(ContractRule.BUILDER_SINGLE_USE, BuilderDiscardedException.class, "startSandbox after discard",
                () -> run.builder().startSandbox());
        KitAssertions.checkReleased(tracker(), before, "discard");
    }

    @Test
    default void discardDuringStart()
            throws Exception
    {
        List<String> before = tracker().live();
        for (int i = 0; i < 10; i++) {
            KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Object> start = CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return run.builder().startSandbox();
                }
                catch (Exception e) {
                    return e;
                }
            });
            go.countDown();
            KitAssertions.jitter(i);
            expectSuccess(ContractRule.BUILDER_SINGLE_USE, "discard during startSandbox",
                    () -> run.builder().discard());
            Object outcome = await("startSandbox racing discard", start);
            if (outcome instanceof Sandbox sandbox) {
                // the start won the race: the sandbox owns everything and must abort cleanly
                expectSuccess(ContractRule.BUILDER_SINGLE_USE,
                        "abort of a sandbox that won the race with discard", sandbox::abort);
            }
            else {
                check(outcome instanceof BuilderDiscardedException, ContractRule.BUILDER_SINGLE_USE,
                        "startSandbox racing discard must return a sandbox or throw BuilderDiscardedException, "
                                + "got " + outcome);
            }
            KitAssertions.checkReleased(tracker(), before, "discard during start");
        }
    }

    @Test
    default void startTwice()
            throws Exception
    {
        KitRun run = newRun(payloads().silent());
        run.start();
        expectError(ContractRule.BUILDER_SINGLE_USE, IllegalStateException.class, "a second startSandbox",
                () -> run.builder().startSandbox());
        within("waitForResult", run::waitForResult);
    }

    @Test
    default void builderHammeredFromEightThreads()
            throws Exception
    {
        boolean env = supports(EngineBehavior.SUPPORTS_ENVIRONMENT_VARIABLES);
        boolean proxies = supports(EngineBehavior.SUPPORTS_PROXIES);
        for (int round = 0; round < 5; round++) {
            KitRun run = newRun(env ? payloads().printEnvironmentVariable("SHARED") : payloads().silent());
            SandboxBuilder builder = run.builder();
            int threads = 8;
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger sharedWins = new AtomicInteger();
            AtomicInteger proxyWins = new AtomicInteger();
            ConcurrentHashMap<String, Throwable> unexpected = new ConcurrentHashMap<>();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        try {
                            builder.setEnvironmentVariable("SHARED", "from-" + thread);
                            sharedWins.incrementAndGet();
                        }
                        catch (NamingConflictException | FeatureNotSupportedException expected) {
                            if (env == expected instanceof FeatureNotSupportedException) {
                                unexpected.put("SHARED/" + thread, expected);
                            }
                        }
                        for (int i = 0; i < 25; i++) {
                            try {
                                builder.setEnvironmentVariable("VAR_" + thread + "_" + i, "v");
                            }
                            catch (EngineException e) {
                                if (env || !(e instanceof FeatureNotSupportedException)) {
                                    unexpected.put("VAR_" + thread + "_" + i, e);
                                }
                            }
                        }
                        try {
                            builder.attachProxy("kitproxy", request -> ProxyResponse.text(200, ""));
                            proxyWins.incrementAndGet();
                        }
                        catch (NamingConflictException | FeatureNotSupportedException expected) {
                            if (proxies == expected instanceof FeatureNotSupportedException) {
                                unexpected.put("proxy/" + thread, expected);
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> future : futures) {
                    await("a builder call from one of 8 threads", future);
                }
            }
            finally {
                pool.shutdownNow();
            }
            check(unexpected.isEmpty(), ContractRule.BUILDER_THREAD_SAFETY,
                    "unexpected outcomes of concurrent builder calls: " + unexpected);
            check(sharedWins.get() == (env ? 1 : 0), ContractRule.BUILDER_THREAD_SAFETY,
                    sharedWins.get() + " of 8 threads declared the same variable successfully; exactly one may, the "
                            + "rest must get naming-conflict");
            check(proxyWins.get() == (proxies ? 1 : 0), ContractRule.BUILDER_THREAD_SAFETY,
                    proxyWins.get() + " of 8 threads attached the same proxy successfully; exactly one may");
            boolean success = within("a run after concurrent declarations", run::run);
            check(success, ContractRule.BUILDER_THREAD_SAFETY,
                    "the task failed after concurrent declarations; log: " + run.log());
            if (env) {
                check(run.log().contains("from-"), ContractRule.ENVIRONMENT,
                        "the shared variable did not reach the task; log: " + run.log());
            }
        }
    }

    @Test
    default void maxConcurrencyIsEnforced()
            throws Exception
    {
        ResourceTracker limitedTracker = new ResourceTracker();
        Engine limited = newEngine(payloads().configWithMaxConcurrency(2), limitedTracker);
        check(limited.capabilities().maxConcurrency() == 2, ContractRule.MAX_CONCURRENCY,
                "an engine configured for 2 sandboxes declares " + limited.capabilities().maxConcurrency());
        KitRun first = newRun(limited, payloads().silent(), newContext(b -> {}));
        KitRun second = newRun(limited, payloads().sleep(Duration.ofSeconds(60)), newContext(b -> {}));
        expectError(ContractRule.MAX_CONCURRENCY, MaxConcurrencyExceededException.class,
                "a third newSandboxBuilder on an engine limited to 2",
                () -> newRun(limited, payloads().silent(), newContext(b -> {})));
        first.builder().discard();
        KitRun third = newRun(limited, payloads().silent(), newContext(b -> {}));
        second.start();
        expectError(ContractRule.MAX_CONCURRENCY, MaxConcurrencyExceededException.class,
                "newSandboxBuilder while 2 are live", () -> newRun(limited, payloads().silent(), newContext(b -> {})));
        second.sandbox().abort();
        third.run();
        // third's result set is still live: one slot left
        KitRun fourth = newRun(limited, payloads().silent(), newContext(b -> {}));
        expectError(ContractRule.MAX_CONCURRENCY, MaxConcurrencyExceededException.class,
                "newSandboxBuilder while a builder and an undisposed result set are live",
                () -> newRun(limited, payloads().silent(), newContext(b -> {})));
        third.dispose();
        fourth.dispose();
        newRun(limited, payloads().silent(), newContext(b -> {})).dispose();
        first.dispose();
        second.dispose();
        limited.dispose();
        KitAssertions.checkReleased(limitedTracker, List.of(), "dispose of the limited engine");
    }

    @Test
    default void capabilitiesMatchDeclaredBehaviors()
    {
        for (EngineBehavior behavior : EngineBehavior.values()) {
            Feature feature = behavior.feature().orElse(null);
            if (feature == null) {
                continue;
            }
            check(engine().capabilities().supports(feature) == supports(behavior), ContractRule.FEATURE_DECLARATION,
                    "the test declares " + behavior + "=" + supports(behavior) + " but the engine's capabilities say "
                            + engine().capabilities().supports(feature));
        }
        check(engine().capabilities().equals(engine().capabilities()), ContractRule.FEATURE_DECLARATION,
                "capabilities changed between calls");
    }
}
