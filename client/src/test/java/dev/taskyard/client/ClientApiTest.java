package dev.taskyard.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.taskyard.client.Fixtures.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The calls, what they send, how answers are read, and problems as typed exceptions. */
class ClientApiTest
{
    private MockServer server;
    private FakeSleeper sleeper;
    private TaskyardClient client;

    @BeforeEach
    void start()
            throws IOException
    {
        server = MockServer.start();
        sleeper = new FakeSleeper();
        client = Fixtures.client(server, sleeper).build();
    }

    @AfterEach
    void stop()
            throws IOException
    {
        server.close();
    }

    private RecordedRequest take()
            throws InterruptedException
    {
        return server.takeRequest(1, TimeUnit.SECONDS);
    }

    @Test
    void getReadsTheWholeStatusMonitor()
            throws Exception
    {
        server.enqueue(MockResponse.json(200, "{\"task_id\":\"t1\",\"status\":\"COMPLETED\",\"progress_percent\":100,"
                        + "\"created_at\":\"2026-01-01T00:00:00Z\",\"started_at\":\"2026-01-01T00:00:01Z\","
                        + "\"completed_at\":\"2026-01-01T00:00:03Z\","
                        + "\"attempt\":2,\"result\":{\"exit_code\":0},"
                        + "\"links\":{\"self\":\"/v1/tasks/t1\",\"log\":\"/v1/tasks/t1/log\"},\"future\":1}")
                .header("ETag", "\"t1-v7\""));

        Task task = client.get("t1");

        assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(task.isTerminal()).isTrue();
        assertThat(task.progressPercent()).isEqualTo(100);
        assertThat(task.createdAt()).contains(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(task.completedAt()).contains(Instant.parse("2026-01-01T00:00:03Z"));
        assertThat(task.attempt()).isEqualTo(2);
        assertThat(task.result().orElseThrow().path("exit_code").asInt()).isZero();
        assertThat(task.links()).containsEntry("log", "/v1/tasks/t1/log");
        assertThat(task.etag()).contains("\"t1-v7\"");
        assertThat(task.retryAfter()).isEmpty();
        assertThat(task.document().path("future").asInt()).isEqualTo(1);
        assertThat(task.document().path("task_id").asText()).isEqualTo("t1");
        RecordedRequest request = take();
        assertThat(request.header("Authorization")).contains("Bearer " + Fixtures.TOKEN);
        assertThat(request.header("Accept")).hasValueSatisfying(a -> assertThat(a).contains("application/json"));
        assertThat(request.header("User-Agent")).hasValueSatisfying(a -> assertThat(a).startsWith("taskyard-client/"));
    }

    @Test
    void idsAndNamesAreEncodedAsPathSegments()
            throws Exception
    {
        server.enqueue(MockResponse.json(200, task("a b/c", "PENDING")));
        server.enqueue(MockResponse.status(200).body("bytes"));

        client.get("a b/c");
        long size = client.downloadArtifact("t1", "out/report ü.txt", new ByteArrayOutputStream());

        assertThat(take().target()).isEqualTo("/v1/tasks/a%20b%2Fc");
        assertThat(take().target()).isEqualTo("/v1/tasks/t1/artifacts/out/report%20%C3%BC.txt");
        assertThat(size).isEqualTo(5);
    }

    @Test
    void awaitChangeLongPollsFromTheCurrentStateWithoutAnEtag()
            throws Exception
    {
        server.enqueue(MockResponse.json(200, task("a b?", "RUNNING")));
        server.enqueue(MockResponse.json(200, task("t1", "PENDING")));

        Task changed = client.awaitChange("a b?", Duration.ofMillis(7_900));
        client.awaitChange("t1", Duration.ofMillis(900));

        assertThat(changed.taskId()).isEqualTo("a b?");
        assertThat(changed.status()).isEqualTo(TaskStatus.RUNNING);
        RecordedRequest longPoll = take();
        assertThat(longPoll.target()).isEqualTo("/v1/tasks/a%20b%3F?wait=7");
        assertThat(longPoll.header("If-None-Match")).isEmpty();
        assertThat(take().target()).as("under a second reads at once").isEqualTo("/v1/tasks/t1");
    }

    @Test
    void awaitChangeFromAKnownStateSendsItsEtagAndKeepsItOn304()
            throws Exception
    {
        server.enqueue(MockResponse.json(200, task("t1", "RUNNING")).header("ETag", "\"v1\""));
        server.enqueue(MockResponse.status(304).header("ETag", "\"v1\""));
        server.enqueue(MockResponse.json(200, task("t1", "COMPLETED")).header("ETag", "\"v2\""));

        Task known = client.get("t1");
        Task unchanged = client.awaitChange(known, Duration.ofSeconds(20));
        Task changed = client.awaitChange(unchanged, Duration.ofSeconds(20));

        assertThat(unchanged.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(unchanged.etag()).contains("\"v1\"");
        assertThat(unchanged.document()).isEqualTo(known.document());
        assertThat(changed.status()).isEqualTo(TaskStatus.COMPLETED);
        take();
        RecordedRequest first = take();
        assertThat(first.target()).isEqualTo("/v1/tasks/t1?wait=20");
        assertThat(first.header("If-None-Match")).contains("\"v1\"");
        assertThat(take().header("If-None-Match")).contains("\"v1\"");
    }

    @Test
    void aClientWithAnotherRetryPolicySharesEverythingElse()
            throws Exception
    {
        TaskyardClient once = client.withRetryPolicy(RetryPolicy.none());
        server.enqueue(MockResponse.status(503));
        server.enqueue(MockResponse.status(503));
        server.enqueue(MockResponse.json(200, task("t1", "PENDING")));

        RetriesExhaustedException exhausted =
                catchThrowableOfType(() -> once.get("t1"), RetriesExhaustedException.class);
        Task task = client.get("t1");

        assertThat(exhausted.attempts()).isEqualTo(1);
        assertThat(once.retryPolicy().maxAttempts()).isEqualTo(1);
        assertThat(client.retryPolicy().maxAttempts()).isEqualTo(RetryPolicy.DEFAULT_MAX_ATTEMPTS);
        assertThat(task.taskId()).isEqualTo("t1");
        assertThat(server.requestCount()).isEqualTo(3);
        assertThat(take().header("Authorization")).contains("Bearer " + Fixtures.TOKEN);
        assertThat(once.toString()).doesNotContain(Fixtures.TOKEN);
    }

    @Test
    void listsPagesWithTheirQuery()
            throws Exception
    {
        server.enqueue(MockResponse.json(200, "{\"tasks\":[" + task("t1", "RUNNING") + "," + task("t2", "RUNNING")
                + "],\"next_page_token\":\"n+1/=\"}"));
        server.enqueue(MockResponse.json(200, "{\"tasks\":[],\"next_page_token\":null}"));

        TaskPage page = client.list(TaskQuery.all().withStatus(TaskStatus.RUNNING).withPageSize(2));
        TaskPage last = client.list(TaskQuery.all().withPageToken(page.nextPageToken().orElseThrow()));

        assertThat(page.tasks()).extracting(Task::taskId).containsExactly("t1", "t2");
        assertThat(page.nextPageToken()).contains("n+1/=");
        assertThat(last.tasks()).isEmpty();
        assertThat(last.nextPageToken()).isEmpty();
        assertThat(take().target()).isEqualTo("/v1/tasks?status=RUNNING&page_size=2");
        assertThat(take().target()).isEqualTo("/v1/tasks?page_token=n%2B1%2F%3D");
    }

    @Test
    void listsAndDownloadsArtifacts()
            throws Exception
    {
        server.enqueue(MockResponse.json(200,
                "{\"task_id\":\"t1\",\"attempt\":1,\"artifacts\":[{\"name\":\"out/a.txt\",\"size\":3,\"link\":\"/x\"},"
                + "{\"name\":\"b.bin\",\"size\":0,\"error\":{\"reason\":\"file-missing\",\"message\":\"no such "
                        + "file\"}},{\"name\":\"c\"}]}"));
        byte[] bytes = new byte[100_000];
        new java.util.Random(1).nextBytes(bytes);
        server.enqueue(MockResponse.status(200).header("Content-Type", "application/octet-stream").body(bytes));

        List<Artifact> artifacts = client.artifacts("t1");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long size = client.downloadArtifact("t1", "out/a.txt", out);

        assertThat(artifacts).containsExactly(
                new Artifact("out/a.txt", OptionalLong.of(3), Optional.empty()),
                new Artifact("b.bin", OptionalLong.of(0),
                        Optional.of(new Artifact.Error("file-missing", "no such file"))),
                new Artifact("c", OptionalLong.empty(), Optional.empty()));
        assertThat(out.toByteArray()).isEqualTo(bytes);
        assertThat(size).isEqualTo(bytes.length);
    }

    @Test
    void problemsBecomeTypedExceptionsWithStatusTypeDetailAndRetryAfter()
    {
        TaskyardClient noRetries = Fixtures.client(server, sleeper)
                .retryPolicy(Fixtures.policy(sleeper).toBuilder().retryStatuses(Set.of()).build()).build();
        server.enqueue(MockResponse.problem(401, "unauthorized", "Unauthorized",
                "a bearer token is required").header("WWW-Authenticate", "Bearer"));
        server.enqueue(MockResponse.problem(403, "forbidden", "Forbidden", "not yours"));
        server.enqueue(MockResponse.problem(404, "not-found", "Not Found", "no task t1"));
        server.enqueue(MockResponse.problem(503, "too-many-streams", "Service Unavailable",
                "retry later").header("Retry-After", "5"));
        server.enqueue(MockResponse.status(409).header("Content-Type", "application/problem+json")
                .body("{\"type\":\"https://taskyard.dev/problems/task-not-finished\",\"title\":\"Conflict\","
                        + "\"status\":409,\"detail\":\"RUNNING\",\"instance\":\"/v1/tasks/t1\","
                        + "\"task_status\":\"RUNNING\"}"));
        server.enqueue(MockResponse.status(500).header("Content-Type", "text/html").body("<html>"
                + "x".repeat(500) + "</html>"));

        UnauthorizedException unauthorized =
                catchThrowableOfType(() -> noRetries.get("t1"), UnauthorizedException.class);
        UnauthorizedException forbidden = catchThrowableOfType(() -> noRetries.get("t1"), UnauthorizedException.class);
        NotFoundException missing = catchThrowableOfType(() -> noRetries.get("t1"), NotFoundException.class);
        ServerBusyException busy = catchThrowableOfType(() -> noRetries.get("t1"), ServerBusyException.class);
        ProblemException conflict = catchThrowableOfType(() -> noRetries.get("t1"), ProblemException.class);
        ProblemException html = catchThrowableOfType(() -> noRetries.get("t1"), ProblemException.class);

        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.type()).isEqualTo("https://taskyard.dev/problems/unauthorized");
        assertThat(unauthorized).hasMessage("401 Unauthorized: a bearer token is required");
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(missing.detail()).isEqualTo("no task t1");
        assertThat(busy.status()).isEqualTo(503);
        assertThat(busy.retryAfter()).contains(Duration.ofSeconds(5));
        assertThat(conflict.getClass()).isEqualTo(ProblemException.class);
        assertThat(conflict.problem().instance()).contains("/v1/tasks/t1");
        assertThat(conflict.problem().extensions().get("task_status").asText()).isEqualTo("RUNNING");
        assertThat(html.type()).isEqualTo("about:blank");
        assertThat(html.title()).isEqualTo("Internal Server Error");
        assertThat(html.detail()).startsWith("<html>xxx").hasSize(201);
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void theTokenIsNeverShown()
    {
        List<String> seen = new CopyOnWriteArrayList<>();
        TaskyardClient spied = Fixtures.client(server, sleeper).addInterceptor(chain -> {
            seen.add(chain.request().toString());
            return chain.proceed(chain.request());
        }).build();
        server.enqueue(MockResponse.json(200, task("t1", "PENDING")));

        spied.get("t1");

        assertThat(spied.toString()).doesNotContain(Fixtures.TOKEN).contains("<redacted>");
        assertThat(TaskyardClient.builder().token(Fixtures.TOKEN).toString()).doesNotContain(Fixtures.TOKEN);
        assertThat(seen).hasSize(1).allSatisfy(s -> assertThat(s).doesNotContain(Fixtures.TOKEN));
        ApiRequest withAuth = ApiRequest.get(server.url(), Duration.ofSeconds(1))
                .withHeader("Authorization", "Bearer " + Fixtures.TOKEN);
        assertThat(withAuth.toString()).doesNotContain(Fixtures.TOKEN).contains("<redacted>");
    }

    @Test
    void interceptorsRunInOrderBeforeTheRetryPolicy()
    {
        List<String> order = new CopyOnWriteArrayList<>();
        TaskyardClient traced = Fixtures.client(server, sleeper)
                .addInterceptor(chain -> {
                    order.add("first");
                    return chain.proceed(chain.request().withHeader("X-Trace", "1"));
                })
                .addInterceptor(chain -> {
                    order.add("second " + chain.request().header("X-Trace").orElse("-"));
                    return chain.proceed(chain.request());
                })
                .build();
        server.enqueue(MockResponse.status(503));
        server.enqueue(MockResponse.json(200, task("t1", "PENDING")));

        traced.get("t1");

        assertThat(order).containsExactly("first", "second 1");
        assertThat(server.requestCount()).isEqualTo(2);
    }

    @Test
    void anInterceptorReturningNullFailsLoudly()
    {
        TaskyardClient broken = Fixtures.client(server, sleeper).addInterceptor(chain -> null).build();

        assertThatThrownBy(() -> broken.get("t1")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("returned null");
    }

    @Test
    void theBuilderRejectsBadSettings()
    {
        assertThatThrownBy(() -> TaskyardClient.builder().token("t").build()).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> TaskyardClient.builder().baseUrl("ftp://x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TaskyardClient.builder().token("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TaskyardClient.builder().requestTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SubmitRequest.of(new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() ->
                SubmitRequest.of(new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode())
                .withIdempotencyKey("has space"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBaseUrlWithAPathPrefixIsKept()
            throws Exception
    {
        TaskyardClient prefixed = Fixtures.client(server, sleeper).baseUrl(server.url() + "/api/").build();
        server.enqueue(MockResponse.json(200, task("t1", "PENDING")));

        prefixed.get("t1");

        assertThat(take().target()).isEqualTo("/api/v1/tasks/t1");
    }
}
