package dev.taskyard.client;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.client.internal.HeadersInterceptor;
import dev.taskyard.client.internal.RealChain;
import dev.taskyard.client.internal.Transport;
import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.RecordedRequest;
import dev.taskyard.client.testing.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.taskyard.client.Fixtures.ms;
import static dev.taskyard.client.Fixtures.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A submit is retried only under its idempotency key, against a fake server that dedupes by key as the real one
 * does: however many answers are lost, each submit ends with exactly one task. Nothing else that mutates is replayed,
 * but cancel.
 */
class SubmitRetryTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MockServer server;
    private FakeSleeper sleeper;
    private TaskyardClient client;
    private DedupingServer tasks;

    @BeforeEach
    void start()
            throws IOException
    {
        server = MockServer.start();
        sleeper = new FakeSleeper();
        client = Fixtures.client(server, sleeper).build();
        tasks = new DedupingServer();
        server.setDispatcher(tasks);
    }

    @AfterEach
    void stop()
            throws IOException
    {
        server.close();
    }

    /** The in-test server: creates one task per Idempotency-Key, then answers with the scripted fault of the attempt.
     * */
    private static final class DedupingServer
            implements MockServer.Dispatcher
    {
        final Map<String, String> taskByKey = new ConcurrentHashMap<>();
        final List<String> keysSeen = new CopyOnWriteArrayList<>();
        final List<MockResponse> faults = new CopyOnWriteArrayList<>();
        final AtomicInteger created = new AtomicInteger();

        @Override
        public MockResponse dispatch(RecordedRequest request)
        {
            if (!request.method().equals("POST") || !request.path().equals("/v1/tasks")) {
                return MockResponse.problem(404, "not-found", "Not Found", "no route");
            }
            MockResponse fault = faults.isEmpty() ? null : faults.remove(0);
            if (fault != null && fault.status() != 500 && fault.policy() == SocketPolicy.NORMAL) {
                return fault;  // rejected before anything was created (429, 503, …)
            }
            String key = request.header("Idempotency-Key").orElse("none");
            keysSeen.add(key);
            String id = taskByKey.computeIfAbsent(key, k -> "t" + created.incrementAndGet());
            MockResponse accepted = MockResponse.json(202, task(id, "PENDING")).header("Location", "/v1/tasks/" + id);
            return fault == null ? accepted : accepted.policy(fault.policy());
        }

        @Override
        public MockResponse atStart()
        {
            return !faults.isEmpty() && faults.get(0).policy() == SocketPolicy.DISCONNECT_AT_START
                    ? faults.remove(0) : null;
        }
    }

    private static ObjectNode payload(int n)
    {
        return MAPPER.createObjectNode().put("command", "echo " + n);
    }

    @Test
    void lostAnswersAreRetriedUnderTheSameKeyAndMakeOneTask()
            throws Exception
    {
        tasks.faults.addAll(List.of(
                MockResponse.fault(SocketPolicy.DISCONNECT_AFTER_REQUEST),
                MockResponse.status(503).header("Retry-After", "1"),
                MockResponse.fault(SocketPolicy.RESET_AFTER_REQUEST),
                MockResponse.json(202, "{}").cutAt(5)));

        Submission submission = client.submit(payload(1));

        assertThat(submission.taskId()).isEqualTo("t1");
        assertThat(submission.location()).isEqualTo(server.url().resolve("/v1/tasks/t1"));
        assertThat(submission.task().status()).isEqualTo(TaskStatus.PENDING);
        assertThat(tasks.created).hasValue(1);
        assertThat(tasks.keysSeen).hasSize(4).containsOnly(submission.idempotencyKey());
        assertThat(sleeper.sleeps()).containsExactly(ms(200), Duration.ofSeconds(1), ms(800), ms(1600));
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest request;
        while ((request = server.takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request);
        }
        assertThat(requests).hasSize(5).allSatisfy(r -> {
            assertThat(r.header("Idempotency-Key")).contains(submission.idempotencyKey());
            assertThat(r.header("Content-Type")).contains("application/json");
            assertThat(MAPPER.readTree(r.body())).isEqualTo(payload(1));
        });
    }

    @Test
    void everySubmitMakesExactlyOneTaskWhateverIsLost()
    {
        SocketPolicy[] policies = {SocketPolicy.DISCONNECT_AT_START, SocketPolicy.DISCONNECT_AFTER_REQUEST,
                SocketPolicy.RESET_AFTER_REQUEST, SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY};
        List<String> ids = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            tasks.faults.clear();
            for (int f = 0; f < n % 5; f++) {
                tasks.faults.add(MockResponse.fault(policies[(n + f) % policies.length]));
            }
            ids.add(client.submit(payload(n)).taskId());
        }
        assertThat(ids).doesNotHaveDuplicates().hasSize(8);
        assertThat(tasks.created).hasValue(8);
        assertThat(tasks.taskByKey).hasSize(8);
    }

    @Test
    void concurrentSubmitsThroughOneClientMakeOneTaskEach()
            throws Exception
    {
        // the answers to the first three attempts of every key are lost, each in another way
        SocketPolicy[] policies = {SocketPolicy.DISCONNECT_AFTER_REQUEST, SocketPolicy.RESET_AFTER_REQUEST,
                SocketPolicy.DISCONNECT_DURING_RESPONSE_BODY};
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        server.setDispatcher(request -> {
            MockResponse accepted = tasks.dispatch(request);
            int attempt = attempts.computeIfAbsent(request.header("Idempotency-Key").orElseThrow(),
                    k -> new AtomicInteger()).getAndIncrement();
            return attempt < policies.length ? accepted.policy(policies[attempt]) : accepted;
        });
        List<java.util.concurrent.Future<String>> futures = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int n = 0; n < 20; n++) {
                int payload = n;
                futures.add(pool.submit(() -> client.submit(payload(payload)).taskId()));
            }
            List<String> ids = new ArrayList<>();
            for (var future : futures) {
                ids.add(future.get(30, TimeUnit.SECONDS));
            }
            assertThat(ids).doesNotHaveDuplicates().hasSize(20);
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(tasks.created).hasValue(20);
        assertThat(tasks.keysSeen).hasSize(80);
        assertThat(attempts.values()).allSatisfy(count -> assertThat(count).hasValue(4));
    }

    @Test
    void aGivenKeyIsSentAndReusedAcrossSubmits()
    {
        Submission first = client.submit(SubmitRequest.of(payload(1)).withIdempotencyKey("order-42"));
        Submission again = client.submit(SubmitRequest.of(payload(1)).withIdempotencyKey("order-42"));

        assertThat(first.idempotencyKey()).isEqualTo("order-42");
        assertThat(again.taskId()).isEqualTo(first.taskId());
        assertThat(tasks.created).hasValue(1);
        assertThat(tasks.keysSeen).containsExactly("order-42", "order-42");
    }

    @Test
    void whenEveryAttemptFailsTheOutcomeIsUnknownAndTheErrorNamesTheKey()
    {
        for (int i = 0; i < 5; i++) {
            tasks.faults.add(MockResponse.fault(SocketPolicy.DISCONNECT_AFTER_REQUEST));
        }

        SubmitOutcomeUnknownException e =
                catchThrowableOfType(() -> client.submit(payload(1)), SubmitOutcomeUnknownException.class);

        assertThat(e.attempts()).isEqualTo(5);
        assertThat(e.getMessage()).contains(e.idempotencyKey()).contains("5 attempts");
        RetriesExhaustedException cause = (RetriesExhaustedException) e.getCause();
        assertThat(cause.getSuppressed()).hasSize(4);
        assertThat(tasks.keysSeen).hasSize(5).containsOnly(e.idempotencyKey());
        assertThat(tasks.created).hasValue(1);

        Submission retried = client.submit(SubmitRequest.of(payload(1)).withIdempotencyKey(e.idempotencyKey()));

        assertThat(retried.taskId()).isEqualTo("t1");
        assertThat(tasks.created).hasValue(1);
    }

    @Test
    void aSpentBudgetOfStatusesNamesTheLastStatus()
    {
        for (int i = 0; i < 5; i++) {
            tasks.faults.add(MockResponse.problem(429, "queue-full", "Too Many Requests",
                    "the queue is full").header("Retry-After", "5"));
        }

        SubmitOutcomeUnknownException e =
                catchThrowableOfType(() -> client.submit(payload(1)), SubmitOutcomeUnknownException.class);

        assertThat(e.lastStatus()).hasValue(429);
        assertThat(e.getMessage()).contains("last status 429").contains(e.idempotencyKey());
        assertThat(sleeper.sleeps())
                .containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(2),
                Duration.ofSeconds(2), Duration.ofSeconds(2));
        assertThat(tasks.created).hasValue(0);
    }

    @Test
    void rejectedSubmitsAreNotRetried()
    {
        server.setDispatcher(request -> MockResponse.status(400).header("Content-Type", "application/problem+json")
                .body("{\"type\":\"https://taskyard.dev/problems/invalid-payload\",\"title\":\"Bad "
                        + "Request\",\"status\":400,"
                        + "\"detail\":\"1 "
                                + "violation(s)\",\"errors\":[{\"path\":\"$.command\",\"message\":\"required\"}]}"));

        InvalidRequestException e =
                catchThrowableOfType(() -> client.submit(payload(1)), InvalidRequestException.class);

        assertThat(e.errors()).containsExactly(new ProblemException.FieldError("$.command", "required"));
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void aKeyReusedWithAnotherBodyIsAConflict()
    {
        server.setDispatcher(request ->
                MockResponse.problem(422, "idempotency-key-reused", "Unprocessable Content",
                "key k was used with another payload"));

        IdempotencyConflictException e =
                catchThrowableOfType(() -> client.submit(SubmitRequest.of(payload(2)).withIdempotencyKey("k")),
                IdempotencyConflictException.class);

        assertThat(e.status()).isEqualTo(422);
        assertThat(e.type()).endsWith("/idempotency-key-reused");
        assertThat(server.requestCount()).isEqualTo(1);
    }

    @Test
    void aPostWithoutAKeyIsNeverSentTwice()
            throws Exception
    {
        List<Interceptor> chain = List.of(Fixtures.policy(sleeper), new HeadersInterceptor("t", "test"),
                new Transport(java.net.http.HttpClient.newBuilder()
                        .version(java.net.http.HttpClient.Version.HTTP_1_1).build()));
        ApiRequest post = new ApiRequest("POST", server.url().resolve("/v1/other"),
                Map.of("Content-Type", "application/json"),
                Optional.of("{}".getBytes()), false, false, Duration.ofSeconds(5));
        server.setDispatcher(request -> MockResponse.status(503));

        try (ApiResponse response = RealChain.run(chain, post)) {
            assertThat(response.status()).isEqualTo(503);
        }
        assertThat(server.requestCount()).isEqualTo(1);

        server.setDispatcher(request -> MockResponse.fault(SocketPolicy.DISCONNECT_AFTER_REQUEST));
        assertThatThrownBy(() -> RealChain.run(chain, post)).isInstanceOf(IOException.class);
        assertThat(server.requestCount()).isEqualTo(2);

        server.setDispatcher(request -> MockResponse.fault(SocketPolicy.RESET_AFTER_REQUEST));
        assertThatThrownBy(() -> RealChain.run(chain, post)).isInstanceOf(IOException.class);
        assertThat(server.requestCount()).isEqualTo(3);
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void cancelIsRetriedBecauseItIsIdempotent()
            throws Exception
    {
        server.setDispatcher(new MockServer.Dispatcher()
        {
            final AtomicInteger calls = new AtomicInteger();

            @Override
            public MockResponse dispatch(RecordedRequest request)
            {
                return switch (calls.getAndIncrement()) {
                    case 0 -> MockResponse.status(503);
                    case 1 -> MockResponse.fault(SocketPolicy.RESET_AFTER_REQUEST);
                    case 2 -> MockResponse.fault(SocketPolicy.DISCONNECT_AFTER_REQUEST);
                    default -> MockResponse.json(202, task("t7", "RUNNING")).header("Retry-After", "1");
                };
            }
        });

        Task task = client.cancel("t7");

        assertThat(task.taskId()).isEqualTo("t7");
        assertThat(server.requestCount()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS);
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.path()).isEqualTo("/v1/tasks/t7/cancel");
        }
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800));
    }
}
