package dev.taskyard.plugin.builtin;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginEnvironment;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.WorkerControl;
import dev.taskyard.plugin.testing.PluginHarness;
import dev.taskyard.plugin.testing.PluginRun;
import dev.taskyard.plugin.testing.PluginTestCase;
import dev.taskyard.engine.mock.MockEngineProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Every built-in plugin, run alone on the mock engine with {@link PluginHarness}. */
class BuiltinPluginsTest
{
    private final List<PluginRun> runs = new java.util.ArrayList<>();

    /** Runs the case with {@link PluginHarness}; the run is closed after the test, which must delete its folder. */
    private PluginRun harness(PluginTestCase testCase)
            throws Exception
    {
        PluginRun run = PluginHarness.run(testCase);
        runs.add(run);
        return run;
    }

    @AfterEach
    void closeRuns()
    {
        for (PluginRun run : runs) {
            assertThat(run.folder()).isDirectory();
            run.close();
            run.close();
            assertThat(run.folder()).doesNotExist();
        }
    }

    private static String mock(String function, String argument)
    {
        return mock(function, argument, 0, "");
    }

    private static String mock(String function, String argument, int delay, String extra)
    {
        return "{\"delay\":" + delay + ",\"function\":\"" + function + "\",\"argument\":\""
                + argument + "\"" + extra + "}";
    }

    @Nested
    class Secrets
    {
        private static final String CONFIG = "{\"variables\":{\"DEPLOY_TOKEN\":\"s3cr3t-deploy-token\"}}";

        @Test
        void injectsTheSecretAndMasksItInTheLog()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("secrets").withConfig(CONFIG)
                    .withPayload(mock("print-env-var", "DEPLOY_TOKEN")));
            assertThat(run.exception()).isEmpty();
            assertThat(run.log()).isEqualTo("***\n");
        }
    }

    @Nested
    class Env
    {
        @Test
        void setsTheTaskAndRunIds()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("env").withIds("task-7",
                    "3").withPayload(mock("print-env-var", "TASK_ID")));
            assertThat(run.exception()).isEmpty();
            assertThat(run.log()).isEqualTo("task-7\n");
            assertThat(harness(PluginTestCase.of("env").withIds("task-7",
                    "3").withPayload(mock("print-env-var", "RUN_ID"))).log()).isEqualTo("3\n");
        }

        @Test
        void payloadVariablesOverrideConfiguredOnes()
                throws Exception
        {
            PluginTestCase base =
                    PluginTestCase.of("env").withConfig("{\"extra\":{\"POOL\":\"blue\",\"REGION\":\"north\"}}");
            assertThat(harness(base.withPayload(mock("print-env-var", "REGION"))).log()).isEqualTo("north\n");
            assertThat(harness(base.withPayload(mock("print-env-var", "POOL", 0,
                    ",\"env\":{\"POOL\":\"red\"}"))).log()).isEqualTo("red\n");
        }

        @Test
        void anInvalidVariableNameIsAMalformedPayloadNamingPathAndPlugin()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("env").withPayload(mock("true", "", 0,
                    ",\"env\":{\"1BAD\":\"x\"}")));
            assertThat(run.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(run.hooks()).containsExactly("exception:malformed-payload", "dispose");
            assertThat(run.log()).contains("plugin \"env\": $.env");
        }
    }

    @Nested
    class Success
    {
        @Test
        void theExitCodeDecides()
                throws Exception
        {
            assertThat(harness(PluginTestCase.of("success").withPayload(mock("true",
                    ""))).pluginSuccess()).contains(true);
            assertThat(harness(PluginTestCase.of("success").withPayload(mock("false",
                    ""))).pluginSuccess()).contains(false);
        }
    }

    @Nested
    class MaxRunTime
    {
        @Test
        void killsTheTaskAtTheLimit()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("maxruntime").withConfig("{\"maxRunTime\":0.05}")
                    .withPayload(mock("write-log-sleep", "working", 120000, "")));
            assertThat(run.exception()).isEmpty();
            assertThat(run.pluginSuccess()).contains(false);
            assertThat(run.engineSuccess()).contains(false);
            assertThat(run.log())
                    .contains("[taskyard] maxruntime: the task ran longer than its maximum run time of 0.05 s and "
                    + "was killed");
        }

        @Test
        void aQuickTaskIsNotKilled()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("maxruntime").withConfig("{\"maxRunTime\":600}")
                    .withPayload(mock("true", "", 0, ",\"maxRunTime\":60")));
            assertThat(run.pluginSuccess()).contains(true);
            assertThat(run.log()).doesNotContain("maxruntime");
        }

        @Test
        void aPayloadValueAboveTheConfiguredMaximumIsMalformed()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("maxruntime").withConfig("{\"maxRunTime\":60}")
                    .withPayload(mock("true", "", 0, ",\"maxRunTime\":61")));
            assertThat(run.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(run.log())
                    .contains("plugin \"maxruntime\": $.maxRunTime: 61 s is above this worker's maximum of 60 s");
        }

        @Test
        void perTaskLimitRequireAndForbid()
                throws Exception
        {
            PluginRun required =
                    harness(PluginTestCase.of("maxruntime")
                    .withConfig("{\"maxRunTime\":60,\"perTaskLimit\":\"require\"}").withPayload(mock("true", "")));
            assertThat(required.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(required.log()).contains("plugin \"maxruntime\": $: required property 'maxRunTime'");
            PluginRun forbidden =
                    harness(PluginTestCase.of("maxruntime")
                    .withConfig("{\"maxRunTime\":60,\"perTaskLimit\":\"forbid\"}")
                    .withPayload(mock("true", "", 0, ",\"maxRunTime\":5")));
            assertThat(forbidden.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(forbidden.log()).contains("$.maxRunTime: unknown key");
        }
    }

    @Nested
    class Artifacts
    {
        @Test
        void extractsDeclaredFilesAndFolders()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("artifacts").withPayload(mock("write-files",
                    "/out/a.txt /out/sub/b.txt /single.txt", 0,
                    ",\"artifacts\":[{\"type\":\"file\",\"path\":\"/single.txt\",\"name\":\"public/single.txt\"},"
                            + "{\"type\":\"folder\",\"path\":\"/out\",\"name\":\"public/out\"}]")));
            assertThat(run.pluginSuccess()).contains(true);
            assertThat(run.artifacts()).extracting(Artifact::name)
                    .containsExactly("public/out/a.txt", "public/out/sub/b.txt", "public/single.txt");
            assertThat(run.artifactText("public/out/sub/b.txt")).isEqualTo("Hello World");
        }

        @Test
        void aMissingFileFailsTheTaskWithAnErrorArtifact()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("artifacts").withPayload(mock("true", "", 0,
                    ",\"artifacts\":[{\"type\":\"file\",\"path\":\"/missing.txt\",\"name\":\"public/missing.txt\"}]")));
            assertThat(run.exception()).isEmpty();
            assertThat(run.pluginSuccess()).contains(false);
            assertThat(run.artifacts()).singleElement().satisfies(artifact -> {
                assertThat(artifact.name()).isEqualTo("public/missing.txt");
                assertThat(artifact.error()).get().extracting(Artifact.ArtifactError::reason)
                        .isEqualTo("file-missing-on-worker");
            });
            assertThat(run.log()).contains("did not produce the file /missing.txt");
        }

        @Test
        void aBadPathIsAMalformedPayload()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("artifacts").withPayload(mock("true", "", 0,
                    ",\"artifacts\":[{\"type\":\"file\",\"path\":\"../etc/passwd\",\"name\":\"x\"}]")));
            assertThat(run.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(run.log()).contains("plugin \"artifacts\": $.artifacts[0].path: invalid artifact path");
        }

        @Test
        void aBadNameIsAMalformedPayload()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("artifacts").withPayload(mock("true", "", 0,
                    ",\"artifacts\":[{\"type\":\"file\",\"path\":\"/a\",\"name\":\"../escape\"}]")));
            assertThat(run.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(run.log()).contains("plugin \"artifacts\": $.artifacts[0].name");
            assertThat(run.hooks()).containsExactly("exception:malformed-payload", "dispose");
        }
    }

    @Nested
    class LogPrefix
    {
        @Test
        void writesSortedKeyValueLinesFirst()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("logprefix").withConfig("{\"pool\":\"blue\"}")
                    .withPayload(mock("write-log", "hello")));
            assertThat(run.log())
                    .isEqualTo("pool: blue\nrunId: 0\ntaskId: task-1\ntasksSinceStartup: 0\nworkerGroup: "
                    + "plugin-harness\nworkerId: worker-1\nhello\n");
        }
    }

    @Nested
    class Result
    {
        private PluginTestCase json(String path, String config)
        {
            EngineRegistry engines = EngineRegistry.empty().register(new JsonFilesEngineProvider());
            return PluginTestCase.of("result").withEngine(engines, "json-mock", "{}").withConfig(config)
                    .withPayload(mock("write-files", "/out/result.txt", 0, ",\"result\":{\"path\":\"" + path + "\"}"));
        }

        @Test
        void readsTheResultFile()
                throws Exception
        {
            PluginRun run = harness(json("/json/{\\\"answer\\\":42}", "{}"));
            assertThat(run.pluginSuccess()).contains(true);
            assertThat(run.result()).get().hasToString("{\"answer\":42}");
        }

        @Test
        void aFileOverTheCapFailsTheTask()
                throws Exception
        {
            PluginRun run = harness(json("/json/[1,2,3,4,5,6,7,8,9]", "{\"maxBytes\":8}"));
            assertThat(run.pluginSuccess()).contains(false);
            assertThat(run.result()).isEmpty();
            assertThat(run.log()).contains("is larger than the limit of 8 bytes");
        }

        @Test
        void aMissingOrInvalidFileFailsTheTask()
                throws Exception
        {
            PluginRun missing = harness(json("/nothing.json", "{}"));
            assertThat(missing.pluginSuccess()).contains(false);
            assertThat(missing.log()).contains("did not write its result file /nothing.json");
            PluginRun invalid = harness(json("/out/result.txt", "{}"));
            assertThat(invalid.pluginSuccess()).contains(false);
            assertThat(invalid.log()).contains("is not valid JSON");
        }

        @Test
        void aBadPathIsAMalformedPayload()
                throws Exception
        {
            PluginRun run = harness(json("relative.json", "{}"));
            assertThat(run.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(run.log()).contains("$.result.path");
        }
    }

    @Nested
    class Progress
    {
        @Test
        void publishesProgressLines()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("progress").withPayload(mock("write-log", "::progress 45")));
            assertThat(run.progress()).containsExactly(45);
            assertThat(harness(PluginTestCase.of("progress").withPayload(mock("write-log",
                    "::progress 250"))).progress()).containsExactly(100);
            assertThat(harness(PluginTestCase.of("progress").withPayload(mock("write-log",
                    "progress 45"))).progress()).isEmpty();
        }

        @Test
        void publishesWhileTheTaskRuns()
                throws Exception
        {
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            try {
                PluginEnvironment environment =
                        new PluginEnvironment(new WorkerIdentity("g", "w"), Files.createTempDirectory("progress"),
                        new FolderArtifactStore(Files.createTempDirectory("artifacts")),
                                WorkerControl.ignoring(), scheduler);
                Plugin plugin = new ProgressPluginProvider().createPlugin(new PluginOptions("progress",
                        new ObjectMapper().readTree("{\"pollInterval\":0.005}"),
                                new MockEngineProvider().createEngine(options()), environment));
                TaskContext context = TaskContext.builder().build();
                CountDownLatch seen = new CountDownLatch(2);
                List<Integer> values = new java.util.concurrent.CopyOnWriteArrayList<>();
                TaskPlugin follower =
                        plugin.newTaskPlugin(new TaskPluginOptions(context,
                        new ObjectMapper().createObjectNode(), new TaskReporter()
                {
                    @Override
                    public void progress(int percent)
                    {
                        values.add(percent);
                        seen.countDown();
                    }
                }));
                follower.started(new StartedRequest(new NoSandbox(), context));
                context.log().write("::progress 10\nnoise\n::prog");
                context.log().write("ress 20\n");
                assertThat(seen.await(1, TimeUnit.MINUTES)).isTrue();
                assertThat(values).containsExactly(10, 20);
                assertThat(context.log().isClosed()).isFalse();
                follower.dispose();
                plugin.dispose();
                context.dispose();
            }
            finally {
                scheduler.shutdownNow();
            }
        }

        private dev.taskyard.engine.EngineOptions options()
                throws Exception
        {
            return new dev.taskyard.engine.EngineOptions(new ObjectMapper().createObjectNode(),
                    new dev.taskyard.engine.EngineContext(Files.createTempDirectory("e"),
                    org.slf4j.LoggerFactory.getLogger("e"), new WorkerIdentity("g", "w"),
                            new dev.taskyard.engine.ResourceTracker()));
        }
    }

    @Nested
    class Watchdog
    {
        @Test
        void stopsAnIdleWorkerAtOnce()
                throws Exception
        {
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            CountDownLatch stopped = new CountDownLatch(1);
            List<String> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
            try {
                WorkerControl control = new WorkerControl()
                {
                    @Override
                    public void stopGracefully(String reason) {}

                    @Override
                    public void stopNow(String reason)
                    {
                        reasons.add(reason);
                        stopped.countDown();
                    }
                };
                PluginEnvironment environment =
                        new PluginEnvironment(new WorkerIdentity("g", "w"), Files.createTempDirectory("watchdog"),
                        new FolderArtifactStore(Files.createTempDirectory("artifacts")), control, scheduler);
                Plugin plugin = new WatchdogPluginProvider()
                        .createPlugin(new PluginOptions("watchdog", new ObjectMapper().readTree("{\"timeout\":0.02}"),
                        new MockEngineProvider().createEngine(new Progress().options()), environment));
                assertThat(stopped.await(1, TimeUnit.MINUTES)).isTrue();
                assertThat(reasons).singleElement().asString().startsWith("watchdog: no activity for 0.02 s");
                plugin.dispose();
            }
            finally {
                scheduler.shutdownNow();
            }
        }

        /**
         * The check runs by hand (the scheduler only records it) after sleeping well past the timeout, so only the
         * pause decides whether it fires.
         */
        @Test
        void pausesWhileAnyTaskRunsAndResumesWhenTheLastOneEnds()
                throws Exception
        {
            ManualScheduler scheduler = new ManualScheduler();
            List<String> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
            try {
                WorkerControl control = new WorkerControl()
                {
                    @Override
                    public void stopGracefully(String reason)
                    {
                        reasons.add("gracefully: " + reason);
                    }

                    @Override
                    public void stopNow(String reason)
                    {
                        reasons.add(reason);
                    }
                };
                PluginEnvironment environment =
                        new PluginEnvironment(new WorkerIdentity("g", "w"), Files.createTempDirectory("watchdog"),
                        new FolderArtifactStore(Files.createTempDirectory("artifacts")), control, scheduler);
                Plugin plugin = new WatchdogPluginProvider()
                        .createPlugin(new PluginOptions("watchdog", new ObjectMapper().readTree("{\"timeout\":0.02}"),
                        new MockEngineProvider().createEngine(new Progress().options()), environment));
                TaskContext first = TaskContext.builder().taskId("first")
                        .logSpillFolder(Files.createTempDirectory("log")).build();
                TaskContext second =
                        TaskContext.builder().taskId("second").logSpillFolder(Files.createTempDirectory("log")).build();
                TaskPlugin one = plugin.newTaskPlugin(new TaskPluginOptions(first,
                        new ObjectMapper().createObjectNode(), TaskReporter.discarding()));
                TaskPlugin two = plugin.newTaskPlugin(new TaskPluginOptions(second,
                        new ObjectMapper().createObjectNode(), TaskReporter.discarding()));
                one.started(new StartedRequest(new NoSandbox(), first));
                two.started(new StartedRequest(new NoSandbox(), second));

                // two tasks run: paused, however long the silence
                scheduler.checkAfter(100);
                scheduler.checkAfter(100);
                assertThat(reasons).isEmpty();

                // one ended (as an exception), the other still runs: still paused
                one.exception(new dev.taskyard.plugin.ExceptionRequest(ExceptionReason.CANCELED, first));
                one.dispose();
                scheduler.checkAfter(100);
                assertThat(reasons).isEmpty();

                // the last one ended: the timer runs again and expires
                two.dispose();
                scheduler.checkAfter(100);
                assertThat(reasons).singleElement().asString().startsWith("watchdog: no activity for 0.02 s");

                // it fires once
                scheduler.checkAfter(100);
                assertThat(reasons).hasSize(1);
                plugin.dispose();
                first.dispose();
                second.dispose();
            }
            finally {
                scheduler.shutdownNow();
            }
        }

        @Test
        void aTaskThatStartsAgainPausesTheTimerAgain()
                throws Exception
        {
            ManualScheduler scheduler = new ManualScheduler();
            List<String> reasons = new java.util.concurrent.CopyOnWriteArrayList<>();
            try {
                WorkerControl control = new WorkerControl()
                {
                    @Override
                    public void stopGracefully(String reason) {}

                    @Override
                    public void stopNow(String reason)
                    {
                        reasons.add(reason);
                    }
                };
                PluginEnvironment environment =
                        new PluginEnvironment(new WorkerIdentity("g", "w"), Files.createTempDirectory("watchdog"),
                        new FolderArtifactStore(Files.createTempDirectory("artifacts")), control, scheduler);
                Plugin plugin = new WatchdogPluginProvider()
                        .createPlugin(new PluginOptions("watchdog", new ObjectMapper().readTree("{\"timeout\":0.02}"),
                        new MockEngineProvider().createEngine(new Progress().options()), environment));
                for (int i = 0; i < 3; i++) {
                    TaskContext context =
                            TaskContext.builder().taskId("t" + i)
                            .logSpillFolder(Files.createTempDirectory("log")).build();
                    TaskPlugin task = plugin.newTaskPlugin(new TaskPluginOptions(context,
                            new ObjectMapper().createObjectNode(), TaskReporter.discarding()));
                    task.started(new StartedRequest(new NoSandbox(), context));
                    scheduler.checkAfter(100);
                    // a task plugin disposed twice (exception, then dispose) releases the pause once
                    task.exception(new dev.taskyard.plugin.ExceptionRequest(ExceptionReason.INTERNAL_ERROR, context));
                    task.dispose();
                    context.dispose();
                }
                assertThat(reasons).isEmpty();
                scheduler.checkAfter(100);
                assertThat(reasons).singleElement().asString().startsWith("watchdog: no activity for 0.02 s");
                plugin.dispose();
            }
            finally {
                scheduler.shutdownNow();
            }
        }

        @Test
        void runsQuietlyInATaskLifeCycle()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("watchdog").withPayload(mock("true", "")));
            assertThat(run.exception()).isEmpty();
            assertThat(run.pluginSuccess()).contains(true);
            assertThat(run.hooks()).containsExactly("build", "started", "stopped", "finished", "dispose");
        }
    }

    @Nested
    class TaskLog
    {
        @Test
        void storesTheLogAsAnArtifact()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("tasklog").withPayload(mock("write-log", "hello")));
            assertThat(run.artifactText("public/logs/task.log")).isEqualTo("hello\n");
        }

        @Test
        void storesTheLogExplainingAMalformedPayload()
                throws Exception
        {
            PluginRun run = harness(PluginTestCase.of("tasklog")
                    .withPayload("{\"delay\":0,\"function\":\"nope\",\"argument\":\"\"}"));
            assertThat(run.exception()).contains(ExceptionReason.MALFORMED_PAYLOAD);
            assertThat(run.artifactText("public/logs/task.log"))
                    .contains("[taskyard] malformed payload: engine \"mock\": $.function");
        }
    }

    /** Records the periodic check the watchdog schedules instead of running it; tests run it by hand. */
    private static final class ManualScheduler
            extends java.util.concurrent.ScheduledThreadPoolExecutor
    {
        private volatile Runnable periodic;

        ManualScheduler()
        {
            super(1);
        }

        @Override
        public java.util.concurrent.ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay,
                long delay, TimeUnit unit)
        {
            periodic = command;
            return super.schedule(() -> {}, 1, TimeUnit.DAYS);
        }

        /** Sleeps at least {@code millis} (several watchdog timeouts), then runs the check once. */
        void checkAfter(long millis)
                throws InterruptedException
        {
            Thread.sleep(millis);
            periodic.run();
        }
    }

    /** A sandbox for hooks that do not touch it. */
    private static final class NoSandbox
            implements dev.taskyard.engine.Sandbox
    {
        @Override
        public dev.taskyard.engine.ResultSet waitForResult()
        {
            throw new UnsupportedOperationException();
        }

        @Override
        public void abort() {}

        @Override
        public void kill() {}
    }
}
