package dev.taskyard.worker;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.taskyard.engine.InternalErrorException;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.testing.RecordingPlugin;
import dev.taskyard.worker.testing.TestRig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact hook order of a task run for every way it can end, with a recording plugin on the mock engine (wrapped
 * to inject the faults the mock cannot script). After every case the engine must hold nothing.
 */
class TaskRunStateMachineTest
{
    private RecordingPlugin recorder;
    private TestRig rig;

    record Outcome(TaskResolution resolution, List<String> calls, String log, boolean fatal, boolean nonFatal,
            boolean disposeFailed) {}

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
        rig.close();
    }

    private Outcome execute(TaskRun run)
    {
        TaskResolution resolution = run.run();
        String log = run.context().log().contentAsString();
        boolean disposeFailed = false;
        try {
            run.dispose();
        }
        catch (InternalErrorException e) {
            disposeFailed = true;
        }
        return new Outcome(resolution, recorder.calls(), log, run.sawFatalError(),
                run.sawNonFatalError(), disposeFailed);
    }

    private Outcome execute(String payload)
    {
        return execute(rig.newRun("task-1", payload));
    }

    private static String mock(String function, String argument)
    {
        return mock(function, argument, "");
    }

    private static String mock(String function, String argument, String extra)
    {
        return "{\"delay\":0,\"function\":\"" + function + "\",\"argument\":\"" + argument + "\"" + extra + "}";
    }

    @Test
    void success()
    {
        Outcome outcome = execute(mock("write-log", "hello"));
        assertResolved(outcome.resolution(), TaskResolution.completed());
        assertThat(outcome.resolution().exitCode()).hasValue(0);
        assertThat(outcome.calls()).containsExactly("create", "build", "started", "stopped", "finished", "dispose");
        assertThat(outcome.log()).contains("hello");
        assertThat(outcome.fatal()).isFalse();
        assertThat(outcome.disposeFailed()).isFalse();
    }

    @Test
    void failure()
    {
        Outcome outcome = execute(mock("write-error-log", "broken"));
        assertResolved(outcome.resolution(), TaskResolution.failed());
        assertThat(outcome.resolution().exitCode()).as("the task's exit code travels with the resolution").hasValue(1);
        assertThat(outcome.calls()).containsExactly("create", "build", "started", "stopped", "finished", "dispose");
        assertThat(outcome.log()).contains("broken");
    }

    @Test
    void outOfMemoryIsAFailureWithItsOwnReason()
    {
        Outcome outcome = execute(mock("true", "out-of-memory-on-wait"));
        assertResolved(outcome.resolution(), TaskResolution.failed(TaskEndReason.OUT_OF_MEMORY));
        assertThat(outcome.resolution().failure()).hasValue(TaskEndReason.OUT_OF_MEMORY);
        assertThat(outcome.resolution().endReason()).hasValue(TaskEndReason.OUT_OF_MEMORY);
        assertThat(outcome.resolution()).hasToString("failed/out-of-memory");
        assertThat(outcome.resolution().message()).hasValue(TaskRun.OUT_OF_MEMORY);
        assertThat(outcome.resolution().exitCode()).as("a kill by the kernel has no exit code").isEmpty();
        assertThat(outcome.calls()).containsExactly("create", "build", "started", "stopped", "finished", "dispose");
        assertThat(outcome.log()).contains("[taskyard] " + TaskRun.OUT_OF_MEMORY);
    }

    @Test
    void malformedPayloadFromTheEngineAtStart()
    {
        Outcome outcome = execute(mock("malformed-payload-initial", "no such image"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.MALFORMED_PAYLOAD));
        assertThat(outcome.calls()).containsExactly("create", "exception:malformed-payload", "dispose");
        assertThat(outcome.log()).contains("[taskyard] malformed payload: engine \"mock\": no such image");
        assertThat(outcome.resolution().message()).as("the messages travel with the resolution")
                .hasValueSatisfying(m -> assertThat(m).contains("no such image"));
        assertThat(outcome.resolution().exitCode()).isEmpty();
    }

    @Test
    void malformedPayloadBySchemaStillCreatesTaskPlugins()
    {
        Outcome outcome = execute("{\"delay\":\"soon\",\"function\":\"true\",\"argument\":\"\",\"surprise\":1}");
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.MALFORMED_PAYLOAD));
        assertThat(outcome.calls()).containsExactly("create", "exception:malformed-payload", "dispose");
        assertThat(outcome.log())
                .contains("engine \"mock\": $.delay")
                .contains("$.surprise: unknown key");
    }

    @Test
    void malformedPayloadFromTheEngineWhenStarting()
    {
        Outcome outcome = execute(mock("true", "malformed-on-start"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.MALFORMED_PAYLOAD));
        assertThat(outcome.calls()).containsExactly("create", "build", "exception:malformed-payload", "dispose");
        assertThat(outcome.log()).contains("injected: the image does not exist");
    }

    @Test
    void malformedPayloadAfterStart()
    {
        Outcome outcome = execute(mock("write-log-sleep", "running",
                ",\"recorder\":{\"fail\":\"started\"}").replace("\"delay\":0", "\"delay\":60000"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.MALFORMED_PAYLOAD));
        assertThat(outcome.calls())
                .containsExactly("create", "build", "started", "exception:malformed-payload", "dispose");
        assertThat(outcome.log())
                .contains("[taskyard] malformed payload: plugin \"recorder\": injected malformed payload in started");
    }

    @Test
    void nonFatalEngineError()
    {
        Outcome outcome = execute(mock("nonfatal-internal-error", ""));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls())
                .containsExactly("create", "build", "started", "exception:internal-error", "dispose");
        assertThat(outcome.nonFatal()).isTrue();
        assertThat(outcome.fatal()).isFalse();
    }

    @Test
    void fatalEngineErrorWhileWaiting()
    {
        Outcome outcome = execute(mock("true", "fatal-on-wait"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls())
                .containsExactly("create", "build", "started", "exception:internal-error", "dispose");
        assertThat(outcome.fatal()).isTrue();
    }

    @Test
    void fatalEngineErrorWhilePreparing()
    {
        Outcome outcome = execute(mock("true", "fatal-on-build"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls()).containsExactly("create", "exception:internal-error", "dispose");
        assertThat(outcome.fatal()).isTrue();
    }

    @Test
    void fatalPluginError()
    {
        Outcome outcome = execute(mock("true", "", ",\"recorder\":{\"fail\":\"build\",\"error\":\"fatal\"}"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls()).containsExactly("create", "build", "exception:internal-error", "dispose");
        assertThat(outcome.fatal()).isTrue();
    }

    @Test
    void nonFatalPluginError()
    {
        Outcome outcome = execute(mock("true", "", ",\"recorder\":{\"fail\":\"stopped\",\"error\":\"nonfatal\"}"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls())
                .containsExactly("create", "build", "started", "stopped", "exception:internal-error", "dispose");
        assertThat(outcome.nonFatal()).isTrue();
        assertThat(outcome.fatal()).isFalse();
    }

    @Test
    void pluginErrorWhileCreatingTaskPlugins()
    {
        Outcome outcome = execute(mock("true", "", ",\"recorder\":{\"fail\":\"create\",\"error\":\"nonfatal\"}"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls()).containsExactly("create");
        assertThat(outcome.nonFatal()).isTrue();
    }

    @Test
    void unexpectedPluginExceptionIsAnIncident()
    {
        Outcome outcome = execute(mock("true", "", ",\"recorder\":{\"fail\":\"finished\",\"error\":\"runtime\"}"));
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.INTERNAL_ERROR));
        assertThat(outcome.calls())
                .containsExactly("create", "build", "started", "stopped", "finished",
                "exception:internal-error", "dispose");
        assertThat(outcome.fatal()).isTrue();
    }

    @Test
    void unexpectedPluginExceptionWritesTheIncidentIdToTheTaskLog()
    {
        Outcome outcome = execute(mock("true", "", ",\"recorder\":{\"fail\":\"started\",\"error\":\"runtime\"}"));
        assertThat(outcome.log())
                .containsPattern("unhandled worker error: unexpected java.lang.IllegalStateException from plugin "
                + "\"recorder\" in the started stage: injected bug in started; incident id [0-9a-f]{16}");
    }

    @Test
    void abortByWorkerShutdownWhileRunning()
            throws Exception
    {
        abortWhileRunning(ExceptionReason.WORKER_SHUTDOWN);
    }

    @Test
    void abortByCancelWhileRunning()
            throws Exception
    {
        abortWhileRunning(ExceptionReason.CANCELED);
    }

    private void abortWhileRunning(ExceptionReason reason)
            throws Exception
    {
        TaskRun run = rig.newRun("task-1",
                mock("write-log-sleep", "running").replace("\"delay\":0", "\"delay\":60000"));
        CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(() -> execute(run));
        assertThat(recorder.started().await(1, TimeUnit.MINUTES)).isTrue();
        assertThat(run.abort(reason)).isTrue();
        Outcome result = outcome.get(1, TimeUnit.MINUTES);
        assertResolved(result.resolution(), TaskResolution.exception(reason));
        assertThat(result.calls()).containsExactly("create", "build", "started", "exception:" + reason.id(), "dispose");
        assertThat(result.fatal()).isFalse();
        assertThat(result.nonFatal()).isFalse();
        assertThat(result.log()).contains("the task run was aborted: " + reason.id());
    }

    @Test
    void abortDuringAHookIsNeverOverwritten()
            throws Exception
    {
        TaskRun run = rig.newRun("task-1",
                mock("true", "", ",\"recorder\":{\"blockIn\":\"build\",\"fail\":\"build\",\"error\":\"fatal\"}"));
        CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(() -> execute(run));
        assertThat(recorder.blocked().await(1, TimeUnit.MINUTES)).isTrue();
        run.abort(ExceptionReason.CANCELED);
        Outcome result = outcome.get(1, TimeUnit.MINUTES);
        assertResolved(result.resolution(), TaskResolution.exception(ExceptionReason.CANCELED));
        assertThat(result.calls()).containsExactly("create", "build", "exception:canceled", "dispose");
        assertThat(run.abort(ExceptionReason.WORKER_SHUTDOWN)).isFalse();
        assertThat(run.resolution()).contains(TaskResolution.exception(ExceptionReason.CANCELED));
    }

    @Test
    void abortBeforeRunning()
    {
        TaskRun run = rig.newRun("task-1", mock("true", ""));
        run.abort(ExceptionReason.WORKER_SHUTDOWN);
        Outcome outcome = execute(run);
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.WORKER_SHUTDOWN));
        assertThat(outcome.calls()).isEmpty();
    }

    @Test
    void concurrentAbortsResolveOnce()
            throws Exception
    {
        TaskRun run = rig.newRun("task-1",
                mock("write-log-sleep", "running").replace("\"delay\":0", "\"delay\":60000"));
        CompletableFuture<Outcome> outcome = CompletableFuture.supplyAsync(() -> execute(run));
        assertThat(recorder.started().await(1, TimeUnit.MINUTES)).isTrue();
        List<CompletableFuture<Boolean>> aborts = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ExceptionReason reason = i % 2 == 0 ? ExceptionReason.CANCELED : ExceptionReason.WORKER_SHUTDOWN;
            aborts.add(CompletableFuture.supplyAsync(() -> run.abort(reason)));
        }
        long winners = aborts.stream().map(CompletableFuture::join).filter(Boolean::booleanValue).count();
        assertThat(winners).isEqualTo(1);
        Outcome result = outcome.get(1, TimeUnit.MINUTES);
        assertThat(result.resolution().status()).isEqualTo(TaskResolution.Status.EXCEPTION);
        assertThat(result.resolution().reason().orElseThrow().isAbort()).isTrue();
    }

    @Test
    void deadlineKillResolvesAsDeadlineExceededAfterStopped()
    {
        TaskRun run = new TaskRun(new TaskRun.Options(rig.manager(),
                dev.taskyard.engine.TaskContext.builder().taskId("task-1")
                        .deadlineIn(java.time.Duration.ofMillis(20)).build(),
                TestRig.json(mock("write-log-sleep", "running").replace("\"delay\":0", "\"delay\":60000")),
                dev.taskyard.plugin.TaskReporter.discarding()));
        Outcome outcome = execute(run);
        assertResolved(outcome.resolution(), TaskResolution.exception(ExceptionReason.DEADLINE_EXCEEDED));
        assertThat(outcome.calls())
                .containsExactly("create", "build", "started", "stopped", "exception:deadline-exceeded", "dispose");
        assertThat(outcome.log()).contains("passed its deadline");
    }

    /** Status and reason as expected; exit code and message are checked where a case is about them. */
    private static void assertResolved(TaskResolution actual, TaskResolution expected)
    {
        assertThat(actual.status()).as("status of %s", actual).isEqualTo(expected.status());
        assertThat(actual.reason()).as("reason of %s", actual).isEqualTo(expected.reason());
        assertThat(actual.failure()).as("failure of %s", actual).isEqualTo(expected.failure());
    }
}
