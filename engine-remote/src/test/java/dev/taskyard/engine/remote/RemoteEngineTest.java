package dev.taskyard.engine.remote;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.RecordedRequest;
import dev.taskyard.client.testing.SocketPolicy;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.remote.internal.RemoteSettings;
import dev.taskyard.engine.schema.Violation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The remote engine against a scripted server: schema and capability discovery, refusals mapped onto the engine's
 * error vocabulary, resolution mapping, and persistence through faults beyond the client's own retry budget.
 */
class RemoteEngineTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "very-secret-token-123";
    private static final String FULL_SCHEMA = """
            {"type": "object", "required": ["command"], "additionalProperties": false,
             "properties": {"command": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                            "env": {"type": "object"}, "artifacts": {"type": "array"}}}
            """;

    @TempDir
    Path temp;

    private MockServer server;
    private volatile String schema = FULL_SCHEMA;
    /** The final state the fake remote reports for every task, as (status, error reason or null). */
    private volatile String finalStatus = "COMPLETED";
    private volatile String finalReason;
    /** Scripted faults for submits: each POST /v1/tasks takes the next policy (NORMAL when none are left). */
    private final List<SocketPolicy> submitFaults = new CopyOnWriteArrayList<>();
    private volatile Function<RecordedRequest, MockResponse> submitAnswer;
    /** Answers first when set (null: fall through to the default script). */
    private volatile Function<RecordedRequest, MockResponse> override;
    private final Map<String, AtomicInteger> tasksByKey = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final ResourceTracker tracker = new ResourceTracker();

    @BeforeEach
    void start()
            throws IOException
    {
        server = MockServer.start();
        server.setDispatcher(this::dispatch);
    }

    @AfterEach
    void stop()
            throws IOException
    {
        server.close();
    }

    private MockResponse dispatch(RecordedRequest request)
    {
        requests.add(request);
        String path = request.path();
        if (override != null && !path.equals("/v1/schemas/payload")) {
            MockResponse answer = override.apply(request);
            if (answer != null) {
                return answer;
            }
        }
        if (!request.header("Authorization").equals(java.util.Optional.of("Bearer " + TOKEN))) {
            return MockResponse.problem(401, "about:blank", "Unauthorized", "bad token");
        }
        if (path.equals("/v1/schemas/payload")) {
            return MockResponse.json(200, schema);
        }
        if (request.method().equals("POST") && path.equals("/v1/tasks")) {
            if (submitAnswer != null) {
                return submitAnswer.apply(request);
            }
            String key = request.header("Idempotency-Key").orElse("none");
            tasksByKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            MockResponse answer = MockResponse.json(202, task("t-" + Math.abs(key.hashCode()), "PENDING", null));
            SocketPolicy fault = submitFaults.isEmpty() ? SocketPolicy.NORMAL : submitFaults.remove(0);
            return answer.policy(fault);
        }
        if (path.endsWith("/log")) {
            return MockResponse.status(200).header("Content-Type", "text/plain").body("hello from the remote\n");
        }
        if (path.endsWith("/cancel")) {
            return MockResponse.json(202, task(taskId(path), "CANCELED", "canceled"));
        }
        if (request.method().equals("DELETE")) {
            return MockResponse.status(204);
        }
        if (request.method().equals("GET") && path.startsWith("/v1/tasks/")) {
            return MockResponse.json(200, task(taskId(path), finalStatus, finalReason));
        }
        return MockResponse.problem(404, "about:blank", "Not Found", path);
    }

    private static String taskId(String path)
    {
        return path.split("/")[3];
    }

    private static String task(String id, String status, String reason)
    {
        return task(id, status, reason, 1);
    }

    private static String task(String id, String status, String reason, int attempt)
    {
        ObjectNode node = JSON.createObjectNode().put("task_id", id).put("status", status).put("progress_percent", 0)
                .put("created_at", "2026-01-01T00:00:00Z").put("attempt", attempt);
        if (status.equals("COMPLETED")) {
            node.putObject("result").put("answer", 42);
        }
        if ("task-failed".equals(reason)) {
            node.put("exit_code", 3);
        }
        if (reason != null) {
            node.putObject("error").put("type", "https://taskyard.dev/problems/" + reason)
                    .put("title", "remote says " + reason)
                    .put("detail", "details of " + reason).put("reason", reason);
        }
        node.putObject("links").put("self", "/v1/tasks/" + id);
        return node.toString();
    }

    private ObjectNode config()
    {
        ObjectNode config = JSON.createObjectNode().put("baseUrl", server.url().toString()).put("token", TOKEN)
                .put("maxConcurrency", 4)
                .put("unreachableTimeoutSeconds", 30);
        config.putObject("retry").put("maxAttempts", 2).put("initialBackoffMillis", 1).put("maxBackoffMillis", 5);
        config.putObject("poll").put("minIntervalMillis", 1).put("maxIntervalMillis", 10).put("longPollSeconds", 0);
        return config;
    }

    private Engine engine(ObjectNode config)
            throws EngineException
    {
        EngineProvider provider = new RemoteEngineProvider();
        assertThat(provider.configSchema().validate(config)).isEmpty();
        return provider.createEngine(new EngineOptions(config,
                new EngineContext(temp, LoggerFactory.getLogger("test"), new WorkerIdentity("g", "w"), tracker)));
    }

    private static SandboxOptions options(String remotePayload)
            throws IOException
    {
        ObjectNode payload = JSON.createObjectNode();
        payload.set("remote", JSON.readTree(remotePayload));
        return new SandboxOptions(payload, TaskContext.builder().taskId("task-1").runId("0").build());
    }

    @Test
    void configSchemaRequiresExactlyOneTokenSourceAndTheSettingsHideTheToken()
            throws Exception
    {
        EngineProvider provider = new RemoteEngineProvider();
        ObjectNode both = config().put("tokenFile", "/nowhere");
        assertThat(provider.configSchema().validate(both)).isNotEmpty();
        ObjectNode neither = config();
        neither.remove("token");
        assertThat(provider.configSchema().validate(neither)).isNotEmpty();
        ObjectNode wrongUrl = config().put("baseUrl", "ftp://example");
        assertThat(provider.configSchema().validate(wrongUrl)).extracting(Violation::path).contains("$.baseUrl");
        assertThat(provider.configSchema().document().path("properties").path("token")
                .path("writeOnly").asBoolean()).isTrue();

        RemoteSettings settings = RemoteSettings.from(config());
        assertThat(settings.toString()).doesNotContain(TOKEN).contains("<secret>");
    }

    @Test
    void tokenFileIsReadAndAnUnreadableOneIsAConfigErrorWithItsPath()
            throws Exception
    {
        Path file = temp.resolve("token");
        Files.writeString(file, "# the remote's token\n\n" + TOKEN + "\n");
        ObjectNode config = config();
        config.remove("token");
        config.put("tokenFile", file.toString());
        Engine engine = engine(config);
        engine.dispose();

        config.put("tokenFile", temp.resolve("missing").toString());
        assertThatThrownBy(() -> engine(config)).isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("$.tokenFile");
    }

    @Test
    void aWrongTokenOrADeadRemoteFailsCreationWithoutShowingTheToken()
            throws Exception
    {
        ObjectNode wrong = config().put("token", "not-the-token");
        assertThatThrownBy(() -> engine(wrong)).isInstanceOf(NonFatalInternalErrorException.class)
                .hasMessageContaining("401")
                .hasMessageNotContaining("not-the-token");

        int port = server.url().getPort();
        server.close();
        ObjectNode dead = config().put("baseUrl", "http://127.0.0.1:" + port).put("unreachableTimeoutSeconds", 0.2);
        assertThatThrownBy(() -> engine(dead)).isInstanceOf(NonFatalInternalErrorException.class)
                .hasMessageContaining("127.0.0.1:" + port).hasMessageContaining("unreachable")
                        .hasMessageNotContaining(TOKEN);
    }

    @Test
    void capabilitiesFollowTheRemoteSchema()
            throws Exception
    {
        Engine full = engine(config());
        assertThat(full.capabilities().features())
                .containsExactlyInAnyOrder(Feature.ENVIRONMENT_VARIABLES, Feature.ARTIFACTS);
        assertThat(full.capabilities().maxConcurrency()).isEqualTo(4);
        full.dispose();

        schema = "{\"type\": \"object\", \"properties\": {\"command\": {\"type\": \"array\"}}}";
        Engine bare = engine(config());
        assertThat(bare.capabilities().features()).isEmpty();
        SandboxBuilder builder = bare.newSandboxBuilder(options("{\"command\": [\"true\"]}"));
        assertThatThrownBy(() -> builder.setEnvironmentVariable("A", "b"))
                .isInstanceOf(FeatureNotSupportedException.class);
        builder.discard();
        bare.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void theRemoteSchemaRefusesAPayloadWithEveryViolationUnderRemote()
            throws Exception
    {
        Engine engine = engine(config());
        assertThatThrownBy(() -> engine.newSandboxBuilder(options("{\"command\": \"echo\", \"extra\": 1}")))
                .isInstanceOfSatisfying(MalformedPayloadException.class, e -> assertThat(e.messages())
                        .anyMatch(m -> m.startsWith("$.remote.command"))
                        .anyMatch(m -> m.contains("extra")));
        assertThat(requests).noneMatch(r -> r.method().equals("POST"));
        assertThat(tracker.isEmpty()).isTrue();
        engine.dispose();
    }

    @Test
    void aSubmitTheRemoteRefusesIsMalformedPayloadWithTheRemotesPaths()
            throws Exception
    {
        submitAnswer = request -> MockResponse.json(400, """
                {"type": "https://taskyard.dev/problems/invalid-payload", "title": "Invalid payload", "status": 400,
                 "detail": "1 violation", "errors": [{"path": "$.command[0]", "message": "must not be empty"}]}
                """).header("Content-Type", "application/problem+json");
        Engine engine = engine(config());
        SandboxBuilder builder = engine.newSandboxBuilder(options("{\"command\": [\"\"]}"));
        assertThatThrownBy(builder::startSandbox).isInstanceOfSatisfying(MalformedPayloadException.class,
                e -> assertThat(e.messages())
                        .containsExactly("$.remote.command[0]: must not be empty (remote server)"));
        assertThat(tracker.isEmpty()).isTrue();
        engine.dispose();
    }

    @Test
    void environmentVariablesAreMergedIntoTheRemoteEnvAndAConflictIsRefused()
            throws Exception
    {
        Engine engine = engine(config());
        SandboxBuilder builder =
                engine.newSandboxBuilder(options("{\"command\": [\"true\"], \"env\": {\"FROM_PAYLOAD\": \"1\"}}"));
        builder.setEnvironmentVariable("FROM_BUILDER", "2");
        assertThatThrownBy(() -> builder.setEnvironmentVariable("FROM_PAYLOAD", "3"))
                .isInstanceOf(dev.taskyard.engine.NamingConflictException.class);
        Sandbox sandbox = builder.startSandbox();
        sandbox.waitForResult().dispose();
        JsonNode submitted = JSON.readTree(requests.stream().filter(r -> r.method().equals("POST")).findFirst()
                .orElseThrow().bodyText());
        assertThat(submitted.path("env"))
                .isEqualTo(JSON.readTree("{\"FROM_PAYLOAD\": \"1\", \"FROM_BUILDER\": \"2\"}"));
        engine.dispose();
    }

    @Test
    void lostSubmitAnswersBeyondTheClientsBudgetAreRepeatedWithTheSameKeyAndMakeOneTask()
            throws Exception
    {
        // the client tries twice per call; four lost answers in a row spend two of its budgets
        submitFaults.addAll(List.of(SocketPolicy.DISCONNECT_AFTER_REQUEST, SocketPolicy.RESET_AFTER_REQUEST,
                SocketPolicy.DISCONNECT_AFTER_REQUEST, SocketPolicy.DISCONNECT_AFTER_REQUEST));
        Engine engine = engine(config());
        Sandbox sandbox = engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox();
        ResultSet result = sandbox.waitForResult();
        assertThat(result.success()).isTrue();
        List<String> keys = requests.stream().filter(r -> r.method().equals("POST"))
                .map(r -> r.header("Idempotency-Key").orElseThrow()).toList();
        assertThat(keys).hasSize(5).allMatch(key -> key.startsWith("taskyard-remote:task-1:0:"))
                .containsOnly(keys.get(0));
        assertThat(tasksByKey).containsOnlyKeys(keys.get(0));
        result.dispose();
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void withoutRecoveryASecondStartOfTheSameRunIsANewRemoteTask()
            throws Exception
    {
        // a run handed back at a graceful stop is started again with the same task and run id; the first start's
        // remote task was cancelled by the stop and must not be found again
        Engine engine = engine(config());
        for (int i = 0; i < 2; i++) {
            engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox().waitForResult().dispose();
        }
        List<String> keys = requests.stream().filter(r -> r.method().equals("POST"))
                .map(r -> r.header("Idempotency-Key").orElseThrow()).toList();
        assertThat(keys).hasSize(2).doesNotHaveDuplicates()
                .allMatch(key -> key.startsWith("taskyard-remote:task-1:0:"));
        engine.dispose();
    }

    @Test
    void withRecoveryASecondStartOfTheSameRunReachesTheFirstStartsRemoteTask()
            throws Exception
    {
        // a worker that died between the submit and the save of the sandbox handle has its run handed back with the
        // same run id: starting it again must find the remote task the first start made, not start a second one
        Engine engine = engine(recoveryConfig());
        for (int i = 0; i < 2; i++) {
            engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox().waitForResult().dispose();
        }
        List<String> keys = requests.stream().filter(r -> r.method().equals("POST"))
                .map(r -> r.header("Idempotency-Key").orElseThrow()).toList();
        assertThat(keys).containsExactly("taskyard-remote:task-1:0", "taskyard-remote:task-1:0");
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void aStartAfterAnAbortedStartOfTheSameRunSkipsTheCancelledRemoteTask()
            throws Exception
    {
        // a run handed back at a graceful stop (its sandbox aborted, its remote task cancelled) is claimed again with
        // the same run id: the cancelled task is skipped for the next key, and that walk always ends at the same task
        override = request -> {
            if (request.method().equals("POST") && request.path().equals("/v1/tasks")) {
                String key = request.header("Idempotency-Key").orElseThrow();
                return key.endsWith(":0") ? MockResponse.json(202, task("t-cancelled", "CANCELED", "canceled"))
                        : MockResponse.json(202, task("t-second", "PENDING", null));
            }
            return null;
        };
        Engine engine = engine(recoveryConfig());
        for (int i = 0; i < 2; i++) {
            ResultSet result = engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox()
                    .waitForResult();
            assertThat(((RemoteResult) result).remoteTask().taskId()).isEqualTo("t-second");
            result.dispose();
        }
        List<String> keys = requests.stream().filter(r -> r.method().equals("POST"))
                .map(r -> r.header("Idempotency-Key").orElseThrow()).toList();
        assertThat(keys).containsExactly("taskyard-remote:task-1:0", "taskyard-remote:task-1:0:1",
                "taskyard-remote:task-1:0", "taskyard-remote:task-1:0:1");
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void longOrNonAsciiRunIdsAreHashedIntoTheKey()
            throws Exception
    {
        Engine engine = engine(recoveryConfig());
        ObjectNode payload = JSON.createObjectNode();
        payload.putObject("remote").putArray("command").add("true");
        for (String id : List.of("t\u00e4sk", "x".repeat(200))) {
            TaskContext context = TaskContext.builder().taskId(id).runId("0").build();
            engine.newSandboxBuilder(new SandboxOptions(payload, context)).startSandbox().waitForResult().dispose();
        }
        List<String> keys = requests.stream().filter(r -> r.method().equals("POST"))
                .map(r -> r.header("Idempotency-Key").orElseThrow()).toList();
        assertThat(keys).hasSize(2).doesNotHaveDuplicates()
                .allMatch(key -> key.matches("taskyard-remote:sha256:[0-9a-f]{64}"));
        engine.dispose();
    }

    @Test
    void completedCarriesTheRemoteResultAndTheLogIsCopied()
            throws Exception
    {
        Engine engine = engine(config());
        TaskContext context = TaskContext.builder().taskId("task-1").runId("0").build();
        ObjectNode payload = JSON.createObjectNode();
        payload.putObject("remote").putArray("command").add("true");
        ResultSet result = engine.newSandboxBuilder(new SandboxOptions(payload, context))
                .startSandbox().waitForResult();
        assertThat(result.success()).isTrue();
        assertThat(result.termination().exitCode()).hasValue(0);
        assertThat(((RemoteResult) result).remoteResultDocument())
                .hasValueSatisfying(doc -> assertThat(doc.path("answer").asInt()).isEqualTo(42));
        context.log().close();
        assertThat(context.log().contentAsString()).isEqualTo("hello from the remote\n");
        result.dispose();
        engine.dispose();
    }

    @Test
    void aRemoteTaskRunAgainHasItsNewLogCopiedFromTheStart()
            throws Exception
    {
        AtomicInteger logs = new AtomicInteger();
        AtomicInteger gets = new AtomicInteger();
        override = request -> {
            String path = request.path();
            if (request.method().equals("POST") && path.equals("/v1/tasks")) {
                return MockResponse.json(202, task("again", "PENDING", null, 0));
            }
            if (path.endsWith("/log")) {
                return switch (logs.incrementAndGet()) {
                    case 1 -> MockResponse.status(200).header("Content-Type", "text/plain")
                            .body("first run, cut short\n");
                    case 2 -> {
                        assertThat(request.header("Range")).as("the new run's log is read from its start").isEmpty();
                        yield MockResponse.status(200).header("Content-Type", "text/plain").body("second run\n");
                    }
                    default -> MockResponse.problem(416, "about:blank", "Range Not Satisfiable",
                            "the log has 11 bytes");
                };
            }
            if (request.method().equals("GET") && path.equals("/v1/tasks/again")) {
                return gets.incrementAndGet() == 1 ? MockResponse.json(200, task("again", "RUNNING", null, 1))
                        : MockResponse.json(200, task("again", "COMPLETED", null, 1));
            }
            return null;
        };
        Engine engine = engine(config());
        TaskContext context = TaskContext.builder().taskId("task-1").runId("0").build();
        ObjectNode payload = JSON.createObjectNode();
        payload.putObject("remote").putArray("command").add("true");
        ResultSet result = engine.newSandboxBuilder(new SandboxOptions(payload, context))
                .startSandbox().waitForResult();
        assertThat(result.success()).isTrue();
        context.log().close();
        assertThat(context.log().contentAsString()).isEqualTo(
                "first run, cut short\n[taskyard] remote task again runs again (attempt 1); its log starts again "
                        + "below\nsecond run\n");
        result.dispose();
        engine.dispose();
    }

    @Test
    void remoteFailuresMapOntoTerminationsOrInternalErrors()
            throws Exception
    {
        Engine engine = engine(config());

        finalStatus = "FAILED";
        finalReason = "task-failed";
        ResultSet failed = engine.newSandboxBuilder(options("{\"command\": [\"false\"]}"))
                .startSandbox().waitForResult();
        assertThat(failed.success()).isFalse();
        assertThat(failed.termination().exitCode()).as("the exit code the remote reports").hasValue(3);
        assertThat(failed.termination().killed()).isFalse();
        failed.dispose();

        finalReason = "out-of-memory";
        ResultSet hog = engine.newSandboxBuilder(options("{\"command\": [\"true\"]}"))
                .startSandbox().waitForResult();
        assertThat(hog.success()).isFalse();
        assertThat(hog.termination().outOfMemory()).as("the back's OOM stays an OOM").isTrue();
        hog.dispose();

        finalReason = "deadline-exceeded";
        ResultSet late = engine.newSandboxBuilder(options("{\"command\": [\"sleep\", \"9\"]}"))
                .startSandbox().waitForResult();
        assertThat(late.success()).isFalse();
        assertThat(late.termination().timedOut()).isTrue();
        assertThat(late.termination().killed()).isTrue();
        late.dispose();

        finalStatus = "CANCELED";
        finalReason = "canceled";
        ResultSet canceled =
                engine.newSandboxBuilder(options("{\"command\": [\"sleep\", \"9\"]}")).startSandbox().waitForResult();
        assertThat(canceled.termination().killed()).isTrue();
        canceled.dispose();

        finalStatus = "FAILED";
        finalReason = "internal-error";
        Sandbox broken = engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox();
        assertThatThrownBy(broken::waitForResult).isInstanceOf(NonFatalInternalErrorException.class)
                .hasMessageContaining("internal-error").hasMessageContaining("details of internal-error");

        engine.dispose();
        assertThat(tracker.isEmpty()).as("live: %s", tracker.live()).isTrue();
    }

    @Test
    void finishedRemoteTasksAreDeletedOnDisposeOnlyWhenConfigured()
            throws Exception
    {
        Engine keeping = engine(config());
        keeping.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox().waitForResult().dispose();
        keeping.dispose();
        assertThat(requests).noneMatch(r -> r.method().equals("DELETE"));

        Engine deleting = engine(config().put("deleteFinishedTasks", true));
        ResultSet result = deleting.newSandboxBuilder(options("{\"command\": [\"true\"]}"))
                .startSandbox().waitForResult();
        String remoteId = ((RemoteResult) result).remoteTask().taskId();
        assertThat(requests).noneMatch(r -> r.method().equals("DELETE"));
        result.dispose();
        assertThat(requests).filteredOn(r -> r.method().equals("DELETE")).extracting(RecordedRequest::path)
                .containsExactly("/v1/tasks/" + remoteId);
        deleting.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void anAbortWhoseRemoteTaskNeverEndsFailsAfterTheAbortTimeoutAndReleasesEverything()
            throws Exception
    {
        override = request -> {
            String path = request.path();
            if (path.endsWith("/cancel") || (request.method().equals("GET") && path.matches("/v1/tasks/[^/]+"))) {
                return MockResponse.json(path.endsWith("/cancel") ? 202 : 200,
                        task(path.split("/")[3], "RUNNING", null));
            }
            return null;
        };
        Engine engine = engine(config().put("abortTimeoutSeconds", 0.3));
        Sandbox sandbox = engine.newSandboxBuilder(options("{\"command\": [\"sleep\", \"600\"]}")).startSandbox();
        assertThatThrownBy(sandbox::abort).isInstanceOf(NonFatalInternalErrorException.class)
                .hasMessageContaining("did not end within");
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(dev.taskyard.engine.SandboxAbortedException.class);
        assertThat(requests).anyMatch(r -> r.method().equals("POST") && r.path().endsWith("/cancel"));
        engine.dispose();
        assertThat(tracker.isEmpty()).as("live: %s", tracker.live()).isTrue();
    }

    private ObjectNode recoveryConfig()
    {
        return config().put("recovery", true);
    }

    private static TaskContext recoveredContext()
    {
        return TaskContext.builder().taskId("task-1").runId("0").build();
    }

    @Test
    void recoveryIsDeclaredOnlyWhenConfiguredAndTheHandleNamesTheServerAndTheRemoteTask()
            throws Exception
    {
        Engine plain = engine(config());
        assertThat(plain.capabilities().features()).doesNotContain(Feature.RECOVERY);
        Sandbox sandbox = plain.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox();
        assertThatThrownBy(sandbox::handle).isInstanceOf(FeatureNotSupportedException.class);
        assertThatThrownBy(() -> plain.recoverSandbox(new RecoveryOptions(
                new SandboxHandle("remote", "{}"), recoveredContext(), 0)))
                .isInstanceOf(FeatureNotSupportedException.class);
        sandbox.waitForResult().dispose();
        plain.dispose();

        Engine engine = engine(recoveryConfig());
        assertThat(engine.capabilities().features()).contains(Feature.RECOVERY);
        Sandbox recoverable = engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox();
        SandboxHandle handle = recoverable.handle();
        assertThat(handle.engine()).isEqualTo("remote");
        JsonNode data = JSON.readTree(handle.data());
        assertThat(data.path("server").asText()).isEqualTo(server.url().toString());
        assertThat(data.path("task").asText()).isEqualTo("t-" + Math.abs("taskyard-remote:task-1:0".hashCode()));
        assertThat(data.path("attempt").asInt()).isEqualTo(1);
        assertThat(recoverable.handle()).isEqualTo(handle);
        recoverable.waitForResult().dispose();
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void aRecoveredSandboxResumesTheLogWithARangeAndResolvesWithTheRemoteResult()
            throws Exception
    {
        String whole = "line one\nline two\n";
        override = request -> {
            if (request.path().equals("/v1/tasks/t-9/log")) {
                return logRange(request, whole);
            }
            if (request.path().equals("/v1/tasks/t-9/artifacts/out/a.txt")) {
                return MockResponse.status(200).header("Content-Type", "application/octet-stream").body("artifact\n");
            }
            if (request.method().equals("GET") && request.path().equals("/v1/tasks/t-9")) {
                return MockResponse.json(200, task("t-9", "FAILED", "task-failed", 1));
            }
            return null;
        };
        Engine engine = engine(recoveryConfig());
        TaskContext context = recoveredContext();
        SandboxHandle handle = handle(server.url().toString(), "t-9", 1);
        Sandbox sandbox = engine.recoverSandbox(new RecoveryOptions(handle, context, 9));
        ResultSet result = sandbox.waitForResult();
        assertThat(result.success()).isFalse();
        assertThat(result.termination().exitCode()).hasValue(3);
        context.log().close();
        assertThat(context.log().contentAsString()).isEqualTo("line two\n");
        assertThat(requests).anyMatch(r -> r.path().equals("/v1/tasks/t-9/log")
                && r.header("Range").equals(java.util.Optional.of("bytes=9-")));
        assertThat(requests).noneMatch(r -> r.method().equals("POST"));
        try (java.io.InputStream artifact = result.extractFile("out/a.txt")) {
            assertThat(new String(artifact.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .as("the recovered result set reaches the remote task's artifacts").isEqualTo("artifact\n");
        }
        result.dispose();
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void aRemoteTaskRunAgainWhileNobodyFollowedItIsCopiedFromItsStart()
            throws Exception
    {
        override = request -> {
            if (request.path().equals("/v1/tasks/t-9/log")) {
                return logRange(request, "second run\n");
            }
            if (request.method().equals("GET") && request.path().equals("/v1/tasks/t-9")) {
                return MockResponse.json(200, task("t-9", "COMPLETED", null, 2));
            }
            return null;
        };
        Engine engine = engine(recoveryConfig());
        TaskContext context = recoveredContext();
        ResultSet result = engine.recoverSandbox(new RecoveryOptions(handle(server.url().toString(), "t-9", 1),
                context, 5)).waitForResult();
        assertThat(result.success()).isTrue();
        context.log().close();
        assertThat(context.log().contentAsString()).isEqualTo("[taskyard] remote task t-9 ran again while no worker "
                + "followed it (attempt 2); its log starts again below\nsecond run\n");
        assertThat(requests).filteredOn(r -> r.path().equals("/v1/tasks/t-9/log")).first()
                .satisfies(r -> assertThat(r.header("Range")).as("the new attempt's log from its start").isEmpty());
        result.dispose();
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void goneCancelledForeignAndUnreadableHandlesAreRefusedAndHoldNothing()
            throws Exception
    {
        override = request -> {
            if (request.method().equals("GET") && request.path().equals("/v1/tasks/t-gone")) {
                return MockResponse.problem(404, "about:blank", "Not Found", "no such task");
            }
            if (request.method().equals("GET") && request.path().equals("/v1/tasks/t-cancelled")) {
                return MockResponse.json(200, task("t-cancelled", "CANCELED", "canceled", 1));
            }
            return null;
        };
        Engine engine = engine(recoveryConfig());
        String url = server.url().toString();
        assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(handle(url, "t-gone", 1),
                recoveredContext(), 0))).isInstanceOf(ResourceNotFoundException.class).hasMessageContaining("t-gone");
        assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(handle(url, "t-cancelled", 1),
                recoveredContext(), 0))).isInstanceOf(ResourceNotFoundException.class)
                .hasMessageContaining("cancelled");
        for (SandboxHandle malformed : List.of(handle("http://127.0.0.1:1", "t-1", 1),
                new SandboxHandle("process", handle(url, "t-1", 1).data()), new SandboxHandle("remote", "{garbage"),
                new SandboxHandle("remote", ""), new SandboxHandle("remote", "{\"v\": 1, \"server\": \"" + url
                        + "\", \"task\": \"t-1\", \"attempt\": 1.5}"))) {
            assertThatThrownBy(() -> engine.recoverSandbox(new RecoveryOptions(malformed, recoveredContext(), 0)))
                    .as("%s", malformed).isInstanceOf(MalformedPayloadException.class);
        }
        assertThat(requests).noneMatch(r -> r.path().equals("/v1/tasks/t-1"));
        assertThat(tracker.isEmpty()).as("live: %s", tracker.live()).isTrue();
        engine.dispose();
    }

    @Test
    void recoveryRidesOutAnOutageBeyondTheClientsBudget()
            throws Exception
    {
        AtomicInteger unavailable = new AtomicInteger(5);
        override = request -> {
            if (request.method().equals("GET") && request.path().equals("/v1/tasks/t-9")
                    && unavailable.getAndDecrement() > 0) {
                return MockResponse.problem(503, "about:blank", "Service Unavailable", "restarting");
            }
            return null;
        };
        Engine engine = engine(recoveryConfig());
        ResultSet result = engine.recoverSandbox(new RecoveryOptions(handle(server.url().toString(), "t-9", 1),
                recoveredContext(), 0)).waitForResult();
        assertThat(result.success()).isTrue();
        assertThat(requests.stream().filter(r -> r.method().equals("GET") && r.path().equals("/v1/tasks/t-9"))
                .count()).isGreaterThan(5);
        result.dispose();
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void abortingARecoveredSandboxCancelsTheRemoteTask()
            throws Exception
    {
        AtomicInteger cancels = new AtomicInteger();
        override = request -> {
            String path = request.path();
            if (path.equals("/v1/tasks/t-9/cancel")) {
                cancels.incrementAndGet();
                return MockResponse.json(202, task("t-9", "CANCELED", "canceled"));
            }
            if (path.equals("/v1/tasks/t-9/log") && cancels.get() == 0) {
                return MockResponse.problem(503, "about:blank", "Service Unavailable", "busy");
            }
            if (request.method().equals("GET") && path.matches("/v1/tasks/t-9.*")) {
                return MockResponse.json(200, task("t-9", cancels.get() > 0 ? "CANCELED" : "RUNNING", null));
            }
            return null;
        };
        Engine engine = engine(recoveryConfig());
        Sandbox sandbox = engine.recoverSandbox(new RecoveryOptions(handle(server.url().toString(), "t-9", 1),
                recoveredContext(), 0));
        sandbox.abort();
        assertThat(cancels.get()).isPositive();
        assertThatThrownBy(sandbox::waitForResult).isInstanceOf(dev.taskyard.engine.SandboxAbortedException.class);
        engine.dispose();
        assertThat(tracker.isEmpty()).as("live: %s", tracker.live()).isTrue();
    }

    /** A finished log answered as the server does: whole, from a range with 206, or 416 at its end. */
    private static MockResponse logRange(RecordedRequest request, String log)
    {
        java.util.Optional<String> range = request.header("Range");
        if (range.isEmpty()) {
            return MockResponse.status(200).header("Content-Type", "text/plain").body(log);
        }
        int from = Integer.parseInt(range.get().replaceAll("bytes=(\\d+)-", "$1"));
        if (from >= log.length()) {
            return MockResponse.problem(416, "about:blank", "Range Not Satisfiable", "the log has " + log.length());
        }
        return MockResponse.status(206).header("Content-Type", "text/plain")
                .header("Content-Range", "bytes " + from + "-" + (log.length() - 1) + "/" + log.length())
                .body(log.substring(from));
    }

    private static SandboxHandle handle(String url, String taskId, int attempt)
    {
        return new SandboxHandle("remote", JSON.createObjectNode().put("v", 1).put("server", url).put("task", taskId)
                .put("attempt", attempt).toString());
    }

    @Test
    void theConcurrencyLimitHoldsUntilResultSetsAreDisposed()
            throws Exception
    {
        Engine engine = engine(config().put("maxConcurrency", 1));
        ResultSet first = engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).startSandbox().waitForResult();
        assertThatThrownBy(() -> engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")))
                .isInstanceOf(dev.taskyard.engine.MaxConcurrencyExceededException.class);
        first.dispose();
        engine.newSandboxBuilder(options("{\"command\": [\"true\"]}")).discard();
        engine.dispose();
        assertThat(tracker.isEmpty()).isTrue();
    }
}
