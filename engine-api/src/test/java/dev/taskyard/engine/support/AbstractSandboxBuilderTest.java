package dev.taskyard.engine.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.ProxyHandler;
import dev.taskyard.engine.ProxyResponse;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.TestThreads;
import dev.taskyard.engine.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.engine.TestThreads.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AbstractSandboxBuilderTest
{
    @TempDir
    Path spillFolder;

    /** What {@code doStart} does in a test. */
    @FunctionalInterface
    interface Starter
    {
        Sandbox start(TestBuilder builder, AbstractSandboxBuilder.Spec spec)
                throws EngineException;
    }

    /** A builder that supports volumes and proxies and counts its starts and releases. */
    static final class TestBuilder
            extends AbstractSandboxBuilder
    {
        final AtomicInteger starts = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();
        final AtomicReference<Spec> spec = new AtomicReference<>();
        private final Starter starter;

        TestBuilder(TaskContext context, Starter starter)
        {
            super(context);
            this.starter = starter;
        }

        @Override
        protected Sandbox doStart(Spec spec)
                throws EngineException
        {
            starts.incrementAndGet();
            this.spec.set(spec);
            return starter.start(this, spec);
        }

        @Override
        protected void release()
        {
            releases.incrementAndGet();
        }

        @Override
        public void attachVolume(String mountPoint, Volume volume, boolean readOnly)
                throws EngineException
        {
            if (!mountPoint.startsWith("/")) {
                throw new MalformedPayloadException("mount points are absolute: " + mountPoint);
            }
            declareVolume(mountPoint, volume, readOnly);
        }

        @Override
        public void attachProxy(String name, ProxyHandler handler)
                throws EngineException
        {
            declareProxy(name, handler);
        }

        boolean discardRequested()
        {
            return isDiscardRequested();
        }
    }

    /** A sandbox that only counts aborts; optionally it has already terminated on its own. */
    static final class FakeSandbox
            implements Sandbox
    {
        final AtomicInteger aborts = new AtomicInteger();
        final AtomicInteger resultDisposals = new AtomicInteger();
        private final boolean terminated;

        FakeSandbox(boolean terminated)
        {
            this.terminated = terminated;
        }

        @Override
        public ResultSet waitForResult()
        {
            return new AbstractResultSet(Termination.exited(0))
            {
                @Override
                protected void release()
                {
                    resultDisposals.incrementAndGet();
                }
            };
        }

        @Override
        public void abort()
                throws EngineException
        {
            if (terminated) {
                throw new SandboxTerminatedException("terminated on its own");
            }
            aborts.incrementAndGet();
        }

        @Override
        public void kill()
        {
        }
    }

    private TaskContext newContext()
    {
        return TaskContext.builder().logSpillFolder(spillFolder).build();
    }

    private static final Volume VOLUME = () -> {};
    private static final ProxyHandler PROXY = request -> ProxyResponse.text(200, "ok");

    // --- declarations

    @Test
    void environmentVariablesAreCollectedWithConflictsDetected()
            throws Exception
    {
        FakeSandbox sandbox = new FakeSandbox(false);
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> sandbox);
        builder.setEnvironmentVariable("A", "1");
        builder.setEnvironmentVariable("B", "");

        assertThatThrownBy(() -> builder.setEnvironmentVariable("A", "2")).isInstanceOf(NamingConflictException.class)
                .hasMessageContaining("A");
        assertThatThrownBy(() -> builder.setEnvironmentVariable("1A", "x"))
                .isInstanceOf(MalformedPayloadException.class);
        assertThatThrownBy(() -> builder.setEnvironmentVariable("C", "nul\0"))
                .isInstanceOf(MalformedPayloadException.class);

        assertThat(builder.startSandbox()).isSameAs(sandbox);
        assertThat(builder.spec.get().environment()).isEqualTo(Map.of("A", "1", "B", ""));
    }

    @Test
    void volumesAndProxiesAreCollectedWithConflictsDetected()
            throws Exception
    {
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> new FakeSandbox(false));
        builder.attachVolume("/data", VOLUME, true);
        builder.attachProxy("queue", PROXY);

        assertThatThrownBy(() -> builder.attachVolume("/data", VOLUME, false))
                .isInstanceOf(NamingConflictException.class)
                .hasMessageContaining("/data");
        assertThatThrownBy(() -> builder.attachProxy("queue", PROXY)).isInstanceOf(NamingConflictException.class)
                .hasMessageContaining("queue");
        assertThatThrownBy(() -> builder.attachVolume("relative", VOLUME, false))
                .isInstanceOf(MalformedPayloadException.class);
        assertThatThrownBy(() -> builder.attachVolume("/other", null, false)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.attachProxy("other", null)).isInstanceOf(NullPointerException.class);

        builder.startSandbox();
        AbstractSandboxBuilder.Spec spec = builder.spec.get();
        assertThat(spec.volumes())
                .containsExactly(Map.entry("/data", new AbstractSandboxBuilder.Mount("/data", VOLUME, true)));
        assertThat(spec.proxies()).containsExactly(Map.entry("queue", PROXY));
        assertThatThrownBy(() -> spec.environment().put("X", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void specIsFrozenWhenTheStartBegins()
            throws Exception
    {
        java.util.HashMap<String, String> environment = new java.util.HashMap<>(Map.of("A", "1"));
        AbstractSandboxBuilder.Spec spec = new AbstractSandboxBuilder.Spec(environment, Map.of(), Map.of());

        environment.put("B", "2");

        assertThat(spec.environment()).isEqualTo(Map.of("A", "1"));
    }

    @Test
    void concurrentDeclarationsOfOneNameLetExactlyOneWin()
            throws Exception
    {
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> new FakeSandbox(false));
        AtomicInteger wins = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger index = new AtomicInteger();

        TestThreads.runTogether(8, () -> {
            int i = index.getAndIncrement();
            builder.setEnvironmentVariable("OWN_" + i, String.valueOf(i));
            try {
                builder.setEnvironmentVariable("SHARED", String.valueOf(i));
                wins.incrementAndGet();
            }
            catch (NamingConflictException e) {
                conflicts.incrementAndGet();
            }
            return null;
        });

        assertThat(wins).hasValue(1);
        assertThat(conflicts).hasValue(7);
        builder.startSandbox();
        assertThat(builder.spec.get().environment()).hasSize(9).containsKeys("SHARED", "OWN_0", "OWN_7");
    }

    // --- start and discard

    @Test
    void startRunsAtMostOnce()
            throws Exception
    {
        FakeSandbox sandbox = new FakeSandbox(false);
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> sandbox);

        assertThat(builder.startSandbox()).isSameAs(sandbox);

        assertThatThrownBy(builder::startSandbox).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.setEnvironmentVariable("A", "1")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.attachVolume("/data", VOLUME, false))
                .isInstanceOf(IllegalStateException.class);
        builder.discard();
        assertThat(builder.starts).hasValue(1);
        assertThat(builder.releases).hasValue(1);
        assertThat(sandbox.aborts).as("discard after a start does nothing").hasValue(0);
    }

    @Test
    void startAfterAFailedStartIsAnIllegalState()
    {
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
            throw new MalformedPayloadException("no such image");
        });

        assertThatThrownBy(builder::startSandbox).isInstanceOf(MalformedPayloadException.class)
                .hasMessage("no such image");

        assertThatThrownBy(builder::startSandbox).isInstanceOf(IllegalStateException.class);
        assertThat(builder.starts).hasValue(1);
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void failedStartReleasesOnceAndLaterDiscardDoesNothing()
            throws Exception
    {
        IllegalStateException bug = new IllegalStateException("engine bug (expected by the test)");
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
            throw bug;
        });

        assertThatThrownBy(builder::startSandbox).isSameAs(bug);

        builder.discard();
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void discardBeforeStartReleasesAndStartThenThrowsBuilderDiscarded()
            throws Exception
    {
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> new FakeSandbox(false));

        builder.discard();
        assertThat(builder.releases).hasValue(1);
        builder.discard();
        assertThat(builder.releases).as("discard is idempotent").hasValue(1);

        assertThatThrownBy(builder::startSandbox).isInstanceOf(BuilderDiscardedException.class);
        assertThatThrownBy(builder::startSandbox).as("a second call is a bug of the caller")
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> builder.setEnvironmentVariable("A", "1"))
                .isInstanceOf(BuilderDiscardedException.class);
        assertThatThrownBy(() -> builder.attachProxy("queue", PROXY)).isInstanceOf(BuilderDiscardedException.class);
        assertThat(builder.starts).hasValue(0);
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void discardDuringASlowStartAbortsTheProducedSandbox()
            throws Exception
    {
        FakeSandbox sandbox = new FakeSandbox(false);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicBoolean sawDiscardRequest = new AtomicBoolean();
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
            entered.countDown();
            awaitQuietly(proceed);
            sawDiscardRequest.set(b.discardRequested());
            return sandbox;
        });
        CompletableFuture<Sandbox> start = CompletableFuture.supplyAsync(() -> startUnchecked(builder));
        await(entered);

        builder.discard();

        assertThat(builder.releases).as("release waits for the start to end").hasValue(0);
        assertThat(builder.discardRequested()).isTrue();
        proceed.countDown();
        assertThatThrownBy(() -> joinStart(start)).isInstanceOf(BuilderDiscardedException.class);
        assertThat(sawDiscardRequest).isTrue();
        assertThat(sandbox.aborts).hasValue(1);
        assertThat(builder.releases).hasValue(1);
        builder.discard();
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void discardDuringAStartThatFailsThrowsBuilderDiscardedWithTheFailureAsCause()
            throws Exception
    {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        MalformedPayloadException failure = new MalformedPayloadException("pull failed");
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
            entered.countDown();
            awaitQuietly(proceed);
            throw failure;
        });
        CompletableFuture<Sandbox> start = CompletableFuture.supplyAsync(() -> startUnchecked(builder));
        await(entered);

        builder.discard();
        proceed.countDown();

        assertThatThrownBy(() -> joinStart(start)).isInstanceOf(BuilderDiscardedException.class).hasCause(failure);
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void startThatGivesUpOnDiscardThrowsItsOwnBuilderDiscarded()
            throws Exception
    {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        BuilderDiscardedException givenUp = new BuilderDiscardedException("gave up");
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
            entered.countDown();
            awaitQuietly(proceed);
            if (b.discardRequested()) {
                throw givenUp;
            }
            return new FakeSandbox(false);
        });
        CompletableFuture<Sandbox> start = CompletableFuture.supplyAsync(() -> startUnchecked(builder));
        await(entered);

        builder.discard();
        proceed.countDown();

        assertThatThrownBy(() -> joinStart(start)).isSameAs(givenUp);
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void discardDuringStartOfASandboxThatAlreadyTerminatedDisposesItsResult()
            throws Exception
    {
        FakeSandbox sandbox = new FakeSandbox(true);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
            entered.countDown();
            awaitQuietly(proceed);
            return sandbox;
        });
        CompletableFuture<Sandbox> start = CompletableFuture.supplyAsync(() -> startUnchecked(builder));
        await(entered);

        builder.discard();
        proceed.countDown();

        assertThatThrownBy(() -> joinStart(start)).isInstanceOf(BuilderDiscardedException.class);
        assertThat(sandbox.resultDisposals).hasValue(1);
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void cancelledContextBeforeStartThrowsTaskCanceledAndReleases()
    {
        TaskContext context = newContext();
        TestBuilder builder = new TestBuilder(context, (b, spec) -> new FakeSandbox(false));
        context.cancel("user request");

        assertThatThrownBy(builder::startSandbox).isInstanceOf(TaskCanceledException.class);
        assertThat(builder.starts).hasValue(0);
        assertThat(builder.releases).hasValue(1);
    }

    @Test
    void cancellationDuringStartAbortsTheSandbox()
    {
        TaskContext context = newContext();
        FakeSandbox sandbox = new FakeSandbox(false);
        TestBuilder builder = new TestBuilder(context, (b, spec) -> {
            context.cancel("user request");
            return sandbox;
        });

        assertThatThrownBy(builder::startSandbox).isInstanceOf(TaskCanceledException.class)
                .hasMessageContaining("user request");
        assertThat(sandbox.aborts).hasValue(1);
        assertThat(builder.releases).hasValue(1);
    }

    /** Start and discard race; whoever wins, release runs once and a produced sandbox is returned or aborted. */
    @Test
    void startRacingDiscardReleasesExactlyOnce()
            throws Exception
    {
        for (int round = 0; round < 200; round++) {
            List<FakeSandbox> produced = new ArrayList<>();
            TestBuilder builder = new TestBuilder(newContext(), (b, spec) -> {
                FakeSandbox sandbox = new FakeSandbox(false);
                synchronized (produced) {
                    produced.add(sandbox);
                }
                return sandbox;
            });
            List<Callable<Object>> tasks = List.of(() -> {
                try {
                    return builder.startSandbox();
                }
                catch (BuilderDiscardedException e) {
                    return e;
                }
            }, () -> {
                builder.discard();
                return null;
            });

            Object outcome = TestThreads.runTogether(tasks).get(0);

            assertThat(builder.releases).hasValue(1);
            assertThat(produced.size()).isLessThanOrEqualTo(1);
            if (outcome instanceof Sandbox sandbox) {
                assertThat(produced).containsExactly((FakeSandbox) sandbox);
                assertThat(((FakeSandbox) sandbox).aborts).hasValue(0);
            }
            else {
                assertThat(outcome).isInstanceOf(BuilderDiscardedException.class);
                assertThat(produced).allSatisfy(sandbox -> assertThat(sandbox.aborts).hasValue(1));
            }
        }
    }

    private static Sandbox startUnchecked(SandboxBuilder builder)
    {
        try {
            return builder.startSandbox();
        }
        catch (EngineException e) {
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private static Sandbox joinStart(CompletableFuture<Sandbox> start)
            throws Throwable
    {
        try {
            return start.get(TestThreads.TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause();
        }
    }

    private static void awaitQuietly(CountDownLatch latch)
    {
        try {
            await(latch);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
