package dev.taskyard.worker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.testkit.forwarding.FaultyEngineProvider;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.testing.RecordingPlugin;
import dev.taskyard.worker.testing.WorkerTestCase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Whole-worker tests: tasks in through an in-memory queue, resolutions, logs and artifacts out. */
class WorkerTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String ALL_PLUGINS = """
            worker: {concurrency: 2, pollInterval: 0.05}
            engine: mock
            plugins:
              env: {extra: {POOL: blue}}
              success: {}
              maxruntime: {maxRunTime: 60}
              artifacts: {}
              logprefix: {}
              watchdog: {}
              result: {}
              progress: {pollInterval: 0.01}
            """;

    private static String mock(String function, String argument)
    {
        return mock(function, argument, 0, "");
    }

    private static String mock(String function, String argument, int delay, String extra)
    {
        return "{\"delay\":" + delay + ",\"function\":\"" + function + "\",\"argument\":\""
                + argument + "\"" + extra + "}";
    }

    @Test
    void runsTasksWithEveryBuiltInPlugin()
            throws Exception
    {
        WorkerTestCase.withConfig(ALL_PLUGINS)
                .task("pass", mock("write-log", "hello")).resolves("completed").logContains("taskId: pass")
                        .logContains("hello").and()
                .task("fail", mock("write-error-log", "broken")).resolves("failed").logContains("broken").and()
                .task("env", mock("print-env-var", "POOL")).logContains("\nblue\n").and()
                .task("env-override", mock("print-env-var", "POOL", 0, ",\"env\":{\"POOL\":\"red\"}"))
                        .logContains("\nred\n").and()
                .task("files", mock("write-files", "/out/a.txt /out/b/c.txt", 0,
                        ",\"artifacts\":[{\"type\":\"folder\",\"path\":\"/out\",\"name\":\"public/out\"}]"))
                        .artifact("public/out/a.txt", "Hello World").artifact("public/out/b/c.txt", "Hello World").and()
                .task("missing", mock("true", "", 0,
                        ",\"artifacts\":[{\"type\":\"file\",\"path\":\"/nope\",\"name\":\"public/nope\"}]"))
                        .resolves("failed").errorArtifact("public/nope")
                                .logContains("did not produce the file /nope").and()
                .task("progress", mock("write-log", "::progress 45")).progress(45).and()
                .task("slow", mock("write-log-sleep", "slow", 60000, ",\"maxRunTime\":0.05")).resolves("failed")
                        .logContains("maximum run time of 0.05 s").and()
                .run();
    }

    @Test
    void badPayloadsRunNothingAndNameThePathAndComponent()
            throws Exception
    {
        WorkerTestCase.Result result = WorkerTestCase.withConfig(ALL_PLUGINS)
                .task("unknown-key",
                        mock("write-files", "/x", 0,
                        ",\"surprise\":true,\"artifacts\":[{\"type\":\"file\",\"path\":\"/x\",\"name\":\"x\"}]"))
                        .resolves("exception/malformed-payload")
                                .logContains("[taskyard] malformed payload: task payload: $.surprise: unknown key: "
                                + "no component claims it").and()
                .task("wrong-type", mock("true", "", 0, ",\"maxRunTime\":\"long\""))
                        .resolves("exception/malformed-payload")
                                .logContains("plugin \"maxruntime\": $.maxRunTime: string found, number expected").and()
                .task("missing-field", "{\"delay\":0,\"function\":\"true\"}")
                        .resolves("exception/malformed-payload")
                                .logContains("engine \"mock\": $: required property 'argument' not found").and()
                .task("engine-refuses", mock("malformed-payload-initial", "no such image"))
                        .resolves("exception/malformed-payload").logContains("engine \"mock\": no such image").and()
                .run();
        assertThat(result.artifacts().list("unknown-key", "0")).extracting(a -> a.name())
                .containsExactly("public/logs/task.log");
    }

    @Test
    void concurrencyIsCappedByTheEngine()
            throws Exception
    {
        WorkerTestCase.Result result = WorkerTestCase.withConfig("""
                worker: {concurrency: 8, pollInterval: 0.05}
                engine: mock
                engines: {mock: {maxConcurrency: 1}}
                plugins: {success: {}}
                """)
                .task("a", mock("true", "")).and()
                .task("b", mock("true", "")).and()
                .task("c", mock("false", "")).resolves("failed")
                .run();
        assertThat(result.worker().concurrency()).isEqualTo(1);
        assertThat(result.worker().completedTasks()).isEqualTo(3);
    }

    @Test
    void aFatalEngineErrorStopsTheWorker()
            throws Exception
    {
        Fixture fixture = new Fixture("faulty-mock", "plugins: {success: {}}");
        fixture.queue.submit(new TaskSpec("doomed", JSON.readTree(mock("true", "fatal-on-wait"))));
        fixture.worker.start();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("doomed")).map(TaskResolution::toString)
                .contains("exception/internal-error");
    }

    @Test
    void aCancelledTaskIsAbortedAndNotReported()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        Fixture fixture = new Fixture("mock", "worker: {leaseDuration: 0.06}\nplugins: {recorder: {}}", recorder);
        fixture.queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep", "zzz", 120000, ""))));
        fixture.worker.start();
        assertThat(recorder.started().await(1, TimeUnit.MINUTES)).isTrue();
        fixture.queue.cancel("long");
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("long")).map(TaskResolution::toString).contains("exception/canceled");
        assertThat(recorder.calls()).containsExactly("create", "build", "started", "exception:canceled", "dispose");
    }

    @Test
    void aGracefulStopAbortsTasksAfterTheGracePeriod()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        // a queue that stores no sandbox handles: the run cannot be recovered later, so it is aborted, not detached
        Fixture fixture = new Fixture(new InMemoryTaskQueue(), queue -> new TaskQueue()
        {
            @Override
            public List<Claim> claim(ClaimRequest request)
                    throws InterruptedException
            {
                return queue.claim(request);
            }

            @Override
            public Lease renew(Lease lease)
                    throws QueueException
            {
                return queue.renew(lease);
            }

            @Override
            public void resolve(Lease lease, TaskResolution resolution)
                    throws QueueException
            {
                queue.resolve(lease, resolution);
            }
        }, "mock", "worker: {shutdownGrace: 0.05}\nplugins: {recorder: {}}", recorder);
        fixture.queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep", "zzz", 120000, ""))));
        fixture.worker.start();
        assertThat(recorder.started().await(1, TimeUnit.MINUTES)).isTrue();
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("long")).map(TaskResolution::toString)
                .contains("exception/worker-shutdown");
        assertThat(recorder.calls())
                .containsExactly("create", "build", "started", "exception:worker-shutdown", "dispose");
    }

    @Test
    void aGracefulStopLetsRunningTasksFinish()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        Fixture fixture = new Fixture("mock",
                "worker: {shutdownGrace: 600, leaseDuration: 0.06}\nplugins: {recorder: {}}", recorder);
        fixture.queue.submit(new TaskSpec("short",
                JSON.readTree(mock("true", "", 0, ",\"recorder\":{\"blockIn\":\"started\"}"))));
        fixture.queue.submit(new TaskSpec("never", JSON.readTree(mock("true", ""))));
        fixture.worker.start();
        assertThat(recorder.blocked().await(1, TimeUnit.MINUTES)).isTrue();
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMillis(50))).isFalse();
        // the blocked hook waits for its context's cancellation: cancel the task to release it
        fixture.queue.cancel("short");
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("never")).isEmpty();
        assertThat(fixture.queue.pendingCount()).isEqualTo(1);
    }

    @Test
    void stopNowAbortsRunningTasksAtOnce()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        Fixture fixture = new Fixture("mock", "worker: {shutdownGrace: 600}\nplugins: {recorder: {}}", recorder);
        fixture.queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep", "zzz", 120000, ""))));
        fixture.worker.start();
        assertThat(recorder.started().await(1, TimeUnit.MINUTES)).isTrue();
        fixture.worker.stopNow();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("long")).map(TaskResolution::toString)
                .contains("exception/worker-shutdown");
    }

    @Test
    void twoPluginsClaimingOneKeyStopTheStartUpNamingBoth()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        RecordingPlugin impostor = new RecordingPlugin()
        {
            @Override
            public String name()
            {
                return "impostor";
            }
        };
        assertThatThrownBy(() -> new Fixture("mock", "plugins: {recorder: {}, impostor: {}}", recorder, impostor))
                .isInstanceOf(NamingConflictException.class)
                .hasMessage("payload key \"recorder\" is claimed by both plugin \"recorder\" and plugin \"impostor\"");
    }

    @Test
    void outputsTheMergedPayloadSchema()
            throws Exception
    {
        Path temp = Files.createTempDirectory("schema");
        WorkerConfig config = WorkerConfig.parse("worker: {workerId: w1, tempFolder: " + temp
                + "}\nengine: mock\nplugins: {env: {}, maxruntime: {maxRunTime: 5}}",
                EngineRegistry.load(), PluginRegistry.load());
        var schema = WorkerSchemas.payload(config, EngineRegistry.load(), PluginRegistry.load());
        assertThat(schema.path("properties").fieldNames()).toIterable()
                .containsExactlyInAnyOrder("delay", "function", "argument", "env", "maxRunTime");
        assertThat(schema.path("additionalProperties").asBoolean(true)).isFalse();
        StringBuilder out = new StringBuilder();
        WorkerSchemas.write(schema, out);
        assertThat(out).contains("\"maxRunTime\"");
    }

    @Test
    void theResolutionIsReportedBeforeTheCleanup()
            throws Exception
    {
        CountDownLatch reported = new CountDownLatch(1);
        AtomicBoolean disposedAfterReport = new AtomicBoolean();
        dev.taskyard.plugin.PluginProvider slowCleanup = new dev.taskyard.plugin.PluginProvider()
        {
            @Override
            public String name()
            {
                return "slow-cleanup";
            }

            @Override
            public dev.taskyard.plugin.Plugin createPlugin(dev.taskyard.plugin.PluginOptions options)
            {
                return task -> new dev.taskyard.plugin.TaskPlugin()
                {
                    @Override
                    public void dispose()
                            throws dev.taskyard.engine.EngineException
                    {
                        try {
                            disposedAfterReport.set(reported.await(1, TimeUnit.MINUTES));
                        }
                        catch (InterruptedException e) {
                            throw new dev.taskyard.engine.NonFatalInternalErrorException("interrupted", e);
                        }
                    }
                };
            }
        };
        Fixture fixture = new Fixture("mock", "plugins: {slow-cleanup: {}, success: {}}", slowCleanup);
        fixture.queue.submit(new TaskSpec("t", JSON.readTree(mock("true", ""))));
        fixture.worker.start();
        assertThat(fixture.queue.awaitResolution("t", Duration.ofMinutes(1)))
                .map(TaskResolution::toString).contains("completed");
        reported.countDown();
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(disposedAfterReport).isTrue();
    }

    @Test
    void aBadPayloadRunsNoHookButTheLoggingOnes()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        Fixture fixture = new Fixture("mock", "plugins: {recorder: {}, success: {}}", recorder);
        fixture.queue.submit(new TaskSpec("bad",
                JSON.readTree(mock("true", "", 0, ",\"recorder\":{\"fail\":\"nowhere\"}"))));
        fixture.queue.submit(new TaskSpec("unknown", JSON.readTree(mock("true", "", 0, ",\"bogus\":1"))));
        fixture.worker.start();
        assertThat(fixture.queue.awaitAllResolved(Duration.ofMinutes(1))).isTrue();
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("bad")).map(TaskResolution::toString)
                .contains("exception/malformed-payload");
        assertThat(fixture.queue.resolution("unknown")).map(TaskResolution::toString)
                .contains("exception/malformed-payload");
        // "bad" violates the recorder's own schema: it gets no task plugin; "unknown" has a valid recorder part
        assertThat(recorder.calls()).containsExactly("create", "exception:malformed-payload", "dispose");
    }

    @Test
    void pluginsHearOfNonFatalErrorsAndIdleness()
            throws Exception
    {
        CountDownLatch nonFatal = new CountDownLatch(1);
        CountDownLatch idle = new CountDownLatch(1);
        dev.taskyard.plugin.PluginProvider listener = new dev.taskyard.plugin.PluginProvider()
        {
            @Override
            public String name()
            {
                return "listener";
            }

            @Override
            public dev.taskyard.plugin.Plugin createPlugin(dev.taskyard.plugin.PluginOptions options)
            {
                return new dev.taskyard.plugin.Plugin()
                {
                    @Override
                    public dev.taskyard.plugin.TaskPlugin newTaskPlugin(dev.taskyard.plugin.TaskPluginOptions task)
                    {
                        return dev.taskyard.plugin.TaskPlugin.NONE;
                    }

                    @Override
                    public void reportNonFatalError()
                    {
                        nonFatal.countDown();
                    }

                    @Override
                    public void reportIdle(Duration idleFor)
                    {
                        if (nonFatal.getCount() == 0) {
                            idle.countDown();
                        }
                    }
                };
            }
        };
        Fixture fixture = new Fixture("mock", "plugins: {listener: {}}", listener);
        fixture.queue.submit(new TaskSpec("flaky", JSON.readTree(mock("nonfatal-internal-error", ""))));
        fixture.worker.start();
        assertThat(fixture.queue.awaitResolution("flaky", Duration.ofMinutes(1))).map(TaskResolution::toString)
                .contains("exception/internal-error");
        assertThat(nonFatal.await(1, TimeUnit.MINUTES)).isTrue();
        assertThat(idle.await(1, TimeUnit.MINUTES)).isTrue();
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
    }

    @Test
    void aTaskThreadStuckInAHookIsAbandonedAndItsTaskStillResolves()
            throws Exception
    {
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<dev.taskyard.engine.TaskContext> context =
                new AtomicReference<>();
        dev.taskyard.plugin.PluginProvider stubborn = new dev.taskyard.plugin.PluginProvider()
        {
            @Override
            public String name()
            {
                return "stubborn";
            }

            @Override
            public dev.taskyard.plugin.Plugin createPlugin(dev.taskyard.plugin.PluginOptions options)
            {
                return task -> {
                    context.set(task.context());
                    return new dev.taskyard.plugin.TaskPlugin()
                    {
                        // the only started hook: it runs on the task thread, and ignores the interrupt of its livelock
                        @Override
                        public void started(dev.taskyard.plugin.StartedRequest request)
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
                    };
                };
            }
        };
        try {
            Fixture fixture = new Fixture("mock",
                    "worker: {hookTimeout: 0.05, shutdownGrace: 600}\nplugins: {stubborn: {}}", stubborn);
            fixture.queue.submit(new TaskSpec("stuck", JSON.readTree(mock("write-log-sleep", "zzz", 120000, ""))));
            fixture.worker.start();
            assertThat(fixture.queue.awaitResolution("stuck", Duration.ofMinutes(1))).map(TaskResolution::toString)
                    .contains("exception/internal-error");
            // a livelock is fatal: the worker stops, without waiting for the stuck thread
            assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
            assertThat(fixture.worker.stuckThreads()).isEqualTo(1);
            assertThat(fixture.worker.livelockedHooks()).isEqualTo(1);
            assertThat(context.get().isCancelled()).isTrue();
            assertThat(context.get().log().contentAsString())
                    .containsPattern("livelock detected: plugin \"stubborn\" ran its started hook for longer than "
                            + "PT0.05S; incident id [0-9a-f]{16}")
                    .contains("stuck thread: plugin \"stubborn\" has not returned from its started hook")
                    .contains("[taskyard] the task run was aborted: internal-error");
        }
        finally {
            release.countDown();
        }
    }

    @Test
    void aCancelReachesARunningTaskWithoutWaitingForTheNextRenewal()
            throws Exception
    {
        RecordingPlugin recorder = new RecordingPlugin();
        // renewals every 200 s and a grace of 600 s: only the pushed cancel can end the run within the test
        Fixture fixture = new Fixture("mock",
                "worker: {leaseDuration: 600, shutdownGrace: 600}\nplugins: {recorder: {}}", recorder);
        fixture.queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep", "zzz", 300000, ""))));
        fixture.worker.start();
        assertThat(recorder.started().await(1, TimeUnit.MINUTES)).isTrue();
        fixture.queue.cancel("long");
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(fixture.queue.resolution("long")).map(TaskResolution::toString).contains("exception/canceled");
        assertThat(recorder.calls()).containsExactly("create", "build", "started", "exception:canceled", "dispose");
    }

    /**
     * A run that ends before the cancel watch delay costs the queue no {@code onCancel} registration (the delay is
     * set to an hour, so how fast the machine runs the tasks does not matter).
     */
    @Test
    void aRunThatEndsBeforeTheCancelWatchDelayMakesNoCancelRegistration()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        WatchingQueue watching = new WatchingQueue(queue, new CountDownLatch(0));
        Fixture fixture = new Fixture(queue, q -> watching, "mock",
                "worker: {concurrency: 4}\nplugins: {success: {}}");
        fixture.worker.cancelWatchDelay(Duration.ofHours(1));
        runToCompletion(fixture, 20);
        assertThat(watching.registrations).isEmpty();
    }

    /**
     * A cancel made before the run's deferred registration reaches the run when the registration is made: the
     * registration is held until the task is cancelled, and the queue then tells it at once. Renewals every 200 s
     * and a grace of 600 s: only the pushed cancel can end the run within the test.
     */
    @Test
    void aCancelMadeBeforeTheDeferredRegistrationReachesTheRunWhenItRegisters()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        CountDownLatch proceed = new CountDownLatch(1);
        WatchingQueue watching = new WatchingQueue(queue, proceed);
        RecordingPlugin recorder = new RecordingPlugin();
        Fixture fixture = new Fixture(queue, q -> watching, "mock",
                "worker: {leaseDuration: 600, shutdownGrace: 600}\nplugins: {recorder: {}}", recorder);
        queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep", "zzz", 300000, ""))));
        fixture.worker.start();
        assertThat(watching.registering.await(1, TimeUnit.MINUTES)).isTrue();
        queue.cancel("long");
        proceed.countDown();
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(queue.resolution("long")).map(TaskResolution::toString).contains("exception/canceled");
        assertThat(recorder.calls()).containsExactly("create", "build", "started", "exception:canceled", "dispose");
        assertThat(watching.registrations).as("made once, on the watch thread, not the renewal timer's")
                .containsExactly("long on taskyard-worker-cancel-watch");
    }

    /**
     * Worker A's renewals fail, so its lease lapses while its run is held; worker B claims the task again (attempt
     * 1) and resolves it; A's late resolution is refused because its lease token is stale.
     */
    @Test
    void aTaskWhoseLeaseLapsedRunsAgainElsewhereAndResolvesOnce()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        CountDownLatch firstRunHeld = new CountDownLatch(1);
        CountDownLatch releaseFirstRun = new CountDownLatch(1);
        List<String> runs = new CopyOnWriteArrayList<>();
        dev.taskyard.plugin.PluginProvider holder = new dev.taskyard.plugin.PluginProvider()
        {
            @Override
            public String name()
            {
                return "holder";
            }

            @Override
            public dev.taskyard.plugin.Plugin createPlugin(dev.taskyard.plugin.PluginOptions options)
            {
                return task -> new dev.taskyard.plugin.TaskPlugin()
                {
                    // attempt 0 is held in stopped until released, and fails; later attempts succeed at once
                    @Override
                    public boolean stopped(dev.taskyard.plugin.StoppedRequest request)
                    {
                        String runId = request.context().runId();
                        runs.add(request.context().taskId() + "/" + runId);
                        if (!runId.equals("0")) {
                            return true;
                        }
                        firstRunHeld.countDown();
                        try {
                            releaseFirstRun.await(1, TimeUnit.MINUTES);
                        }
                        catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return false;
                    }
                };
            }
        };
        List<String> refusedA = new CopyOnWriteArrayList<>();
        List<String> resolvedB = new CopyOnWriteArrayList<>();
        Fixture a = new Fixture(queue, q -> new RecordingQueue(q, true, refusedA, new ArrayList<>()), "mock",
                "worker: {leaseDuration: 0.05}\nplugins: {holder: {}, success: {}}", holder);
        Fixture b = new Fixture(queue,
                q -> new RecordingQueue(q, false, new ArrayList<>(), resolvedB), "mock",
                "worker: {leaseDuration: 0.05}\nplugins: {holder: {}, success: {}}", holder);
        queue.submit(new TaskSpec("t", JSON.readTree(mock("true", ""))));
        try {
            a.worker.start();
            assertThat(firstRunHeld.await(1, TimeUnit.MINUTES)).isTrue();
            b.worker.start();
            assertThat(queue.awaitResolution("t", Duration.ofMinutes(1)))
                    .map(TaskResolution::toString).contains("completed");
            assertThat(queue.attempts("t")).isEqualTo(2);
        }
        finally {
            releaseFirstRun.countDown();
        }
        a.worker.stopGracefully();
        b.worker.stopGracefully();
        assertThat(a.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(b.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
        assertThat(runs).containsExactlyInAnyOrder("t/0", "t/1");
        assertThat(resolvedB).containsExactly("t attempt 1: completed");
        assertThat(refusedA).singleElement().asString().startsWith("t attempt 0: failed refused: ");
        assertThat(queue.resolution("t")).map(TaskResolution::toString).contains("completed");
        assertThat(queue.attempts("t")).isEqualTo(2);
    }

    /**
     * A backlog is claimed in batches: the task threads that wait share one queue claim, so 300 tasks on 8 threads
     * take far fewer queue claims than tasks, and each task still runs and resolves exactly once.
     */
    @Test
    void aBacklogIsClaimedInBatchesAndEachTaskRunsOnce()
            throws Exception
    {
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        AtomicInteger queueClaims = new AtomicInteger();
        List<String> resolved = new CopyOnWriteArrayList<>();
        TaskQueue counting = new RecordingQueue(queue, false, new ArrayList<>(), resolved)
        {
            @Override
            public List<Claim> claim(ClaimRequest request)
                    throws QueueException, InterruptedException
            {
                queueClaims.incrementAndGet();
                Thread.sleep(1); // like a database round trip: the free threads line up meanwhile
                return super.claim(request);
            }
        };
        Fixture fixture = new Fixture(queue, q -> counting, "mock",
                "worker: {concurrency: 8}\nplugins: {success: {}}");
        int tasks = 300;
        runToCompletion(fixture, tasks);
        assertThat(resolved).hasSize(tasks).doesNotHaveDuplicates();
        for (int i = 0; i < tasks; i++) {
            assertThat(queue.attempts("t" + i)).isEqualTo(1);
        }
        assertThat(fixture.worker.completedTasks()).isEqualTo(tasks);
        // one claim per task before; with the shared claims the count depends on the scheduling: at most half
        assertThat(queueClaims.get()).isLessThan(tasks / 2);
        assertThat(fixture.worker.queueClaims()).isEqualTo(queueClaims.get());
    }

    /** Forwards to a queue, records resolutions and refusals, and optionally fails every renewal. */
    private static class RecordingQueue
            implements TaskQueue
    {
        private final InMemoryTaskQueue queue;
        private final boolean failRenewals;
        private final List<String> refused;
        private final List<String> resolved;

        RecordingQueue(InMemoryTaskQueue queue, boolean failRenewals, List<String> refused, List<String> resolved)
        {
            this.queue = queue;
            this.failRenewals = failRenewals;
            this.refused = refused;
            this.resolved = resolved;
        }

        @Override
        public List<Claim> claim(ClaimRequest request)
                throws QueueException, InterruptedException
        {
            return queue.claim(request);
        }

        @Override
        public Lease renew(Lease lease)
                throws QueueException
        {
            if (failRenewals) {
                throw new QueueException("the queue cannot be reached");
            }
            return queue.renew(lease);
        }

        @Override
        public void resolve(Lease lease, TaskResolution resolution)
                throws QueueException
        {
            String what = lease.taskId() + " attempt " + lease.attempt() + ": "
                    + resolution.status().name().toLowerCase();
            try {
                queue.resolve(lease, resolution);
                resolved.add(what);
            }
            catch (LeaseLostException e) {
                refused.add(what + " refused: " + e.getMessage());
                throw e;
            }
        }
    }

    /**
     * Forwards cancel registrations to the in-memory queue and records each (task and thread); a registration waits
     * for {@code proceed} before it reaches the queue.
     */
    private static final class WatchingQueue
            extends RecordingQueue
    {
        final List<String> registrations = new CopyOnWriteArrayList<>();
        final CountDownLatch registering = new CountDownLatch(1);
        private final InMemoryTaskQueue target;
        private final CountDownLatch proceed;

        WatchingQueue(InMemoryTaskQueue queue, CountDownLatch proceed)
        {
            super(queue, false, new ArrayList<>(), new ArrayList<>());
            this.target = queue;
            this.proceed = proceed;
        }

        @Override
        public Subscription onCancel(Lease lease, Runnable listener)
                throws QueueException
        {
            registrations.add(lease.taskId() + " on " + Thread.currentThread().getName());
            registering.countDown();
            try {
                proceed.await();
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new QueueException("interrupted while registering");
            }
            return target.onCancel(lease, listener);
        }
    }

    /**
     * Submits {@code tasks} tasks that succeed at once (t0, t1, …) to the fixture's queue, starts its worker, waits
     * until every task completed and stops the worker gracefully.
     */
    private static void runToCompletion(Fixture fixture, int tasks)
            throws Exception
    {
        for (int i = 0; i < tasks; i++) {
            fixture.queue.submit(new TaskSpec("t" + i, JSON.readTree(mock("true", ""))));
        }
        fixture.worker.start();
        for (int i = 0; i < tasks; i++) {
            assertThat(fixture.queue.awaitResolution("t" + i, Duration.ofMinutes(1))).map(TaskResolution::toString)
                    .contains("completed");
        }
        fixture.worker.stopGracefully();
        assertThat(fixture.worker.awaitTermination(Duration.ofMinutes(1))).isTrue();
    }

    /** A worker on an in-memory queue with extra test plugins. */
    private static final class Fixture
    {
        final InMemoryTaskQueue queue;
        final Worker worker;

        Fixture(String engine, String extraYaml, dev.taskyard.plugin.PluginProvider... extra)
                throws Exception
        {
            this(new InMemoryTaskQueue(), queue -> queue, engine, extraYaml, extra);
        }

        /** A worker that talks to {@code queue} through the wrapper {@code through} makes of it. */
        Fixture(InMemoryTaskQueue queue, Function<InMemoryTaskQueue, TaskQueue> through,
                String engine, String extraYaml, dev.taskyard.plugin.PluginProvider... extra)
                throws Exception
        {
            this.queue = queue;
            Path temp = Files.createTempDirectory("taskyard-worker");
            String worker = extraYaml.contains("worker:") ? "" : "worker: {}\n";
            String yaml = (worker + extraYaml)
                    .replace("worker: {", "worker: {workerId: w1, pollInterval: 0.02, tempFolder: \"" + temp + "\", ")
                    .replace(", }", "}") + "\nengine: " + engine;
            EngineRegistry engines = EngineRegistry.load().register(new FaultyEngineProvider());
            PluginRegistry plugins = PluginRegistry.load();
            for (dev.taskyard.plugin.PluginProvider provider : extra) {
                plugins.register(provider);
            }
            this.worker = Worker.create(WorkerConfig.parse(yaml, engines, plugins), engines,
                    plugins, through.apply(queue));
        }
    }
}
