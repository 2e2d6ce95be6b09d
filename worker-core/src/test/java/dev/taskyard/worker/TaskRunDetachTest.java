package dev.taskyard.worker;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.testing.RecordingPlugin;
import dev.taskyard.worker.testing.TestRig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TaskRun#detach()} while the sandbox is being started (a worker's graceful stop ends while a start is in
 * flight): the run lets go once the sandbox has started and the plugins' {@code started} hook ran, without an
 * interrupt, and the task keeps running; {@link TaskRun.SandboxHooks#onStarting()} sees the builder before the start.
 */
class TaskRunDetachTest
{
    private RecordingPlugin recorder;
    private TestRig rig;

    @BeforeEach
    void setUp()
            throws Exception
    {
        recorder = new RecordingPlugin();
        rig = new TestRig(PluginRegistry.empty().register(recorder), "{\"recorder\":{}}");
    }

    @AfterEach
    void tearDown()
            throws Exception
    {
        rig.close(); // the engine's disposal ends the detached task; the rig checks that nothing leaked
    }

    @Test
    void aRunAskedToDetachDuringItsStartLetsGoOnceStarted()
            throws Exception
    {
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch starting = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        TaskRun.SandboxHooks hooks = new TaskRun.SandboxHooks(Optional.empty(), sandbox -> events.add("started"),
                builder -> {
                    events.add("starting");
                    starting.countDown();
                    try {
                        proceed.await(1, TimeUnit.MINUTES);
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        TaskRun run = new TaskRun(new TaskRun.Options(rig.manager(), rig.newContext("task-1"),
                TestRig.json("{\"delay\":60000,\"function\":\"write-log-sleep\",\"argument\":\"running\"}"),
                TaskReporter.discarding()), hooks);
        CompletableFuture<TaskResolution> resolution = CompletableFuture.supplyAsync(run::run);
        assertThat(starting.await(1, TimeUnit.MINUTES)).isTrue();
        assertThat(run.detach()).as("detach while starting").isTrue();
        assertThat(run.isWaiting()).as("a starting run needs no interrupt").isFalse();
        proceed.countDown();
        TaskResolution ended = resolution.get(1, TimeUnit.MINUTES);
        assertThat(run.isDetached()).isTrue();
        assertThat(ended.toString()).isEqualTo(TaskResolution.exception(ExceptionReason.WORKER_SHUTDOWN).toString());
        assertThat(events).containsExactly("starting", "started");
        // detached: the plugins saw the start, but neither a stop nor an exception, and the run was not disposed
        assertThat(recorder.calls()).containsExactly("create", "build", "started");
        assertThat(run.abort(ExceptionReason.WORKER_SHUTDOWN)).as("nothing to abort after the detach").isFalse();
    }

    @Test
    void aResolvedRunCannotDetach()
            throws Exception
    {
        TaskRun run = rig.newRun("task-2", "{\"delay\":0,\"function\":\"write-log\",\"argument\":\"done\"}");
        TaskResolution resolution = run.run();
        assertThat(resolution.toString()).isEqualTo(TaskResolution.completed().toString());
        assertThat(run.detach()).isFalse();
        assertThat(run.isWaiting()).isFalse();
        run.dispose();
    }
}
