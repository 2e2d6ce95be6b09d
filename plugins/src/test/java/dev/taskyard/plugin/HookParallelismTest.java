package dev.taskyard.plugin;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.HookLivelockException;
import dev.taskyard.plugin.internal.PluginManager;
import dev.taskyard.plugin.internal.TaskPlugins;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.taskyard.plugin.Fixtures.plugin;
import static dev.taskyard.plugin.Fixtures.provider;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The hooks of one stage run in parallel and the stage waits for all of them; livelocked and stuck hooks are reported
 * and do not hold the stage forever.
 */
class HookParallelismTest
{
    private static final String PAYLOAD = "{\"delay\":0,\"function\":\"true\",\"argument\":\"\"}";
    private static final String[] NAMES = {"p1", "p2", "p3", "p4"};

    private Fixtures fixtures;
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService caller = Executors.newCachedThreadPool();

    @BeforeEach
    void setUp()
            throws Exception
    {
        fixtures = new Fixtures();
    }

    @AfterEach
    void tearDown()
            throws Exception
    {
        release.countDown();
        caller.shutdownNow();
        fixtures.close();
    }

    /** Every plugin's hook of {@code stage} waits at one barrier that only trips when all of them run at once. */
    @ParameterizedTest
    @ValueSource(strings = {"buildSandbox", "started", "stopped", "finished", "exception", "dispose"})
    void everyHookOfAStageRunsAtTheSameTime(String stage)
            throws Exception
    {
        CyclicBarrier barrier = new CyclicBarrier(NAMES.length);
        try (HookExecutor executor = new HookExecutor(HookExecutor.Settings.defaults())) {
            PluginManager manager = meetingPlugins(executor, stage, barrier);
            runOnce(manager, stage.equals("exception"));
            assertThat(barrier.isBroken()).isFalse();
            manager.dispose();
        }
    }

    @Test
    void aHookThatWasAlwaysQuickAndNowBlocksDoesNotHoldUpTheOthers()
            throws Exception
    {
        CyclicBarrier barrier = new CyclicBarrier(NAMES.length);
        AtomicReference<String> meetIn = new AtomicReference<>("nowhere");
        try (HookExecutor executor = new HookExecutor(HookExecutor.Settings.defaults())) {
            PluginRegistry registry = PluginRegistry.empty();
            for (String name : NAMES) {
                registry.register(provider(name, null, options -> plugin(null, task -> new TaskPlugin()
                {
                    @Override
                    public void started(StartedRequest request)
                            throws EngineException
                    {
                        if (meetIn.get().equals("started")) {
                            meet(barrier, "started");
                        }
                    }
                })));
            }
            PluginManager manager = fixtures.manager(registry, config(), executor);
            // enough quick runs for every started hook to be trusted to return at once
            for (int i = 0; i < 40; i++) {
                runOnce(manager, false);
            }
            meetIn.set("started");
            runOnce(manager, false);
            assertThat(barrier.isBroken()).isFalse();
            manager.dispose();
        }
    }

    @Test
    void aHookIgnoringItsInterruptOnTheCallingThreadIsReportedAsStuck()
            throws Exception
    {
        BlockingQueue<HookExecutor.StuckHook> stuck = new LinkedBlockingQueue<>();
        try (HookExecutor executor = new HookExecutor(new HookExecutor.Settings(Duration.ofMillis(30)), stuck::add)) {
            PluginRegistry registry =
                    PluginRegistry.empty()
                    .register(provider("stubborn", null, options -> plugin(null, task -> new TaskPlugin()
            {
                @Override
                public void started(StartedRequest request)
                {
                    ignoreInterruptsUntilReleased();
                }
            })));
            PluginManager manager = fixtures.manager(registry, "{\"stubborn\":{}}", executor);
            TaskContext context = fixtures.context();
            PluginManager.Prepared prepared =
                    manager.prepare(context, Fixtures.json(PAYLOAD), TaskReporter.discarding());
            Sandbox sandbox = prepared.builder().orElseThrow().startSandbox();
            AtomicReference<Thread> callingThread = new AtomicReference<>();
            // the only hook of the stage runs on the calling thread: that call cannot return while the hook is stuck
            Future<?> call = caller.submit(() -> {
                callingThread.set(Thread.currentThread());
                prepared.plugins().started(sandbox);
                return null;
            });
            HookExecutor.StuckHook report = stuck.poll(1, TimeUnit.MINUTES);
            assertThat(report).isNotNull();
            assertThat(report.callerThread()).isTrue();
            assertThat(report.thread()).isSameAs(callingThread.get());
            assertThat(report.component()).isEqualTo("plugin \"stubborn\"");
            assertThat(report.stage()).isEqualTo("started");
            assertThat(report.context()).isSameAs(context);
            assertThat(call.isDone()).isFalse();
            assertThat(executor.livelocks()).isEqualTo(1);
            assertThat(executor.stuckThreads()).isEqualTo(1);
            assertThat(context.log().contentAsString())
                    .containsPattern("livelock detected: plugin \"stubborn\" ran its started hook for longer than "
                            + "PT0.03S; incident id [0-9a-f]{16}")
                    .contains("stuck thread: plugin \"stubborn\" has not returned from its started hook")
                            .contains("incident id " + report.incidentId());

            release.countDown();
            assertThatThrownBy(() -> call.get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(HookLivelockException.class);
            eventually(() -> executor.stuckThreads() == 0, "the stuck thread returned");
            sandbox.waitForResult().dispose();
            prepared.plugins().dispose();
            context.dispose();
            manager.dispose();
        }
    }

    @Test
    void theStageStopsWaitingForAHelperThreadStuckInAHook()
            throws Exception
    {
        BlockingQueue<HookExecutor.StuckHook> stuck = new LinkedBlockingQueue<>();
        CountDownLatch stubbornStarted = new CountDownLatch(1);
        try (HookExecutor executor = new HookExecutor(new HookExecutor.Settings(Duration.ofMillis(30)), stuck::add)) {
            PluginRegistry registry = PluginRegistry.empty()
                    // the first hook holds the calling thread until the second runs, so the second runs on a helper
                    .register(provider("a-gate", null, options -> plugin(null, task -> new TaskPlugin()
                    {
                        @Override
                        public void started(StartedRequest request)
                                throws EngineException
                        {
                            try {
                                if (!stubbornStarted.await(1, TimeUnit.MINUTES)) {
                                    throw new FatalInternalErrorException("the stubborn hook did not start");
                                }
                            }
                            catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    })))
                    .register(provider("b-stubborn", null, options -> plugin(null, task -> new TaskPlugin()
                    {
                        @Override
                        public void started(StartedRequest request)
                        {
                            stubbornStarted.countDown();
                            ignoreInterruptsUntilReleased();
                        }
                    })));
            PluginManager manager = fixtures.manager(registry, "{\"a-gate\":{},\"b-stubborn\":{}}", executor);
            TaskContext context = fixtures.context();
            PluginManager.Prepared prepared =
                    manager.prepare(context, Fixtures.json(PAYLOAD), TaskReporter.discarding());
            Sandbox sandbox = prepared.builder().orElseThrow().startSandbox();
            assertThatThrownBy(() -> prepared.plugins().started(sandbox))
                    .isInstanceOf(HookLivelockException.class)
                    .hasMessageContaining("plugin \"b-stubborn\" ran its started hook");
            HookExecutor.StuckHook report = stuck.poll(1, TimeUnit.MINUTES);
            assertThat(report).isNotNull();
            assertThat(report.callerThread()).isFalse();
            assertThat(report.component()).isEqualTo("plugin \"b-stubborn\"");
            assertThat(executor.stuckThreads()).isEqualTo(1);
            release.countDown();
            eventually(() -> executor.stuckThreads() == 0, "the stuck thread returned");
            assertThat(executor.livelocks()).isEqualTo(1);
            sandbox.waitForResult().dispose();
            prepared.plugins().dispose();
            context.dispose();
            manager.dispose();
        }
    }

    /** Spins (sleeping) until released, swallowing every interrupt: what a livelocked hook may do. */
    private void ignoreInterruptsUntilReleased()
    {
        while (true) {
            try {
                if (release.await(1, TimeUnit.MINUTES)) {
                    return;
                }
            }
            catch (InterruptedException ignored) {
                // ignored on purpose
            }
        }
    }

    private PluginManager meetingPlugins(HookExecutor executor, String stage, CyclicBarrier barrier)
            throws EngineException
    {
        PluginRegistry registry = PluginRegistry.empty();
        for (String name : NAMES) {
            registry.register(provider(name, null, options -> plugin(null, task -> new MeetingPlugin(stage, barrier))));
        }
        return fixtures.manager(registry, config(), executor);
    }

    private static String config()
    {
        StringBuilder config = new StringBuilder("{");
        for (String name : NAMES) {
            config.append(config.length() > 1 ? "," : "").append('"').append(name).append("\":{}");
        }
        return config.append('}').toString();
    }

    /** One whole task run through the plugins: every stage, ending with {@code exception} or {@code finished}. */
    private void runOnce(PluginManager manager, boolean asException)
            throws Exception
    {
        TaskContext context = fixtures.context();
        PluginManager.Prepared prepared = manager.prepare(context, Fixtures.json(PAYLOAD), TaskReporter.discarding());
        assertThat(prepared.error()).isEmpty();
        TaskPlugins plugins = prepared.plugins();
        plugins.buildSandbox(prepared.builder().orElseThrow());
        Sandbox sandbox = prepared.builder().orElseThrow().startSandbox();
        plugins.started(sandbox);
        ResultSet result = sandbox.waitForResult();
        assertThat(plugins.stopped(result)).isTrue();
        context.log().close();
        if (asException) {
            plugins.exception(ExceptionReason.INTERNAL_ERROR);
        }
        else {
            plugins.finished(true);
        }
        plugins.dispose();
        result.dispose();
        context.dispose();
    }

    private static void meet(CyclicBarrier barrier, String stage)
            throws FatalInternalErrorException
    {
        try {
            barrier.await(1, TimeUnit.MINUTES);
        }
        catch (Exception e) {
            throw new FatalInternalErrorException("the " + stage + " hooks did not all run at the same time", e);
        }
    }

    private static void eventually(BooleanSupplier condition, String what)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("never happened: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Implements every hook; the hook of one stage meets the other plugins' at the barrier. */
    private static final class MeetingPlugin
            implements TaskPlugin
    {
        private final String stage;
        private final CyclicBarrier barrier;

        MeetingPlugin(String stage, CyclicBarrier barrier)
        {
            this.stage = stage;
            this.barrier = barrier;
        }

        private void maybeMeet(String hook)
                throws FatalInternalErrorException
        {
            if (hook.equals(stage)) {
                meet(barrier, hook);
            }
        }

        @Override
        public void buildSandbox(BuildSandboxRequest request)
                throws EngineException
        {
            maybeMeet("buildSandbox");
        }

        @Override
        public void started(StartedRequest request)
                throws EngineException
        {
            maybeMeet("started");
        }

        @Override
        public boolean stopped(StoppedRequest request)
                throws EngineException
        {
            maybeMeet("stopped");
            return true;
        }

        @Override
        public void finished(FinishedRequest request)
                throws EngineException
        {
            maybeMeet("finished");
        }

        @Override
        public void exception(ExceptionRequest request)
                throws EngineException
        {
            maybeMeet("exception");
        }

        @Override
        public void dispose()
                throws EngineException
        {
            maybeMeet("dispose");
        }
    }
}
