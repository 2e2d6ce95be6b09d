package dev.taskyard.server.internal.http;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.client.NotFoundException;
import dev.taskyard.client.RetryPolicy;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.store.SqliteTaskStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Fast in-process tests of the API handlers over a real store, without a worker. */
class ApiServerTest
{
    private static final JsonSchema SCHEMA = JsonSchema.parse("{\"type\":\"object\",\"properties\":{"
            + "\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1}},"
            + "\"required\":[\"command\"],\"additionalProperties\":false}");

    @TempDir
    Path temp;
    SqliteTaskStore store;
    ApiServer server;
    String base;
    final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start()
            throws Exception
    {
        store = SqliteTaskStore.Options.builder(temp.resolve("store")).maxPendingTasks(2).open();
        server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, List.of("secret"), 1024, 4,
                Duration.ofMillis(20)), store, SCHEMA);
        server.start();
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop()
            throws Exception
    {
        server.stop();
        store.close();
    }

    private HttpRequest.Builder request(String path)
    {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer secret");
    }

    private HttpResponse<String> submit(String body)
            throws Exception
    {
        return client.send(request("/v1/tasks").header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void openApiDocumentMatchesTheRouteTable()
            throws Exception
    {
        JsonNode document;
        try (InputStream in = MetaResource.class.getResourceAsStream(MetaResource.OPENAPI_RESOURCE)) {
            document = Json.MAPPER.readTree(in);
        }
        Map<String, List<String>> documented = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext(); ) {
            Map.Entry<String, JsonNode> path = paths.next();
            List<String> methods = new ArrayList<>();
            path.getValue().fieldNames().forEachRemaining(name -> {
                if (List.of("get", "post", "put", "delete", "patch").contains(name)) {
                    methods.add(name.toUpperCase());
                }
            });
            methods.sort(null);
            documented.put(path.getKey(), methods);
        }
        Map<String, List<String>> routed = new TreeMap<>();
        server.routes().templates().forEach((template, methods) -> {
            List<String> sorted = new ArrayList<>(methods);
            sorted.sort(null);
            routed.put(template.replace("+}", "}"), sorted);
        });
        assertThat(documented).isEqualTo(routed);
        assertThat(document.path("openapi").asText()).isEqualTo("3.1.0");
    }

    @Test
    void pathParametersSentEncodedByTheClientArriveDecodedExactlyOnce()
            throws Exception
    {
        TaskyardClient api =
                TaskyardClient.builder().baseUrl(base).token("secret").retryPolicy(RetryPolicy.none()).build();
        List<String> ids = List.of("a b", "x/log", "50%", "50%25", "what?wait=1", "a#b", "naïve-ü",
                "plus+sign", "t/../../v1/tasks");
        for (String id : ids) {
            assertThat(catchThrowableOfType(() -> api.get(id), NotFoundException.class).detail()).as("GET %s", id)
                    .isEqualTo("no task " + id);
            assertThat(catchThrowableOfType(() -> api.cancel(id), NotFoundException.class).detail()).as("cancel %s", id)
                    .isEqualTo("no task " + id);
            assertThat(catchThrowableOfType(() -> api.delete(id), NotFoundException.class).detail()).as("DELETE %s", id)
                    .isEqualTo("no task " + id);
            assertThat(catchThrowableOfType(() -> api.artifacts(id), NotFoundException.class).detail())
                    .as("artifacts %s", id).isEqualTo("no task " + id);
        }

        String id = api.submit(Json.MAPPER.readTree("{\"command\":[\"true\"]}")).taskId();
        assertThat(api.get(id).taskId()).isEqualTo(id);
        assertThat(catchThrowableOfType(() ->
                api.downloadArtifact(id, "out/a b%?.txt", OutputStream.nullOutputStream()),
                NotFoundException.class).detail())
                .isEqualTo("no artifact out/a b%?.txt in task " + id);
        assertThat(Routes.decode(List.of("a%20b", "1+1%2B1", "%C3%BC"))).containsExactly("a b", "1+1+1", "ü");
        assertThat(catchThrowableOfType(() -> Routes.decode(List.of("%zz")), ApiProblem.class).status()).isEqualTo(400);
    }

    @Test
    void submitValidatesFirstAndAnswers202WithLocation()
            throws Exception
    {
        HttpResponse<String> bad = submit("{\"command\":[],\"x\":1}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(bad.body()).findValuesAsText("path")).contains("$.command");
        assertThat(store.countByStatus().values().stream().mapToLong(Long::longValue).sum()).isZero();

        HttpResponse<String> ok = submit("{\"command\":[\"true\"]}");
        assertThat(ok.statusCode()).isEqualTo(202);
        String id = Json.MAPPER.readTree(ok.body()).path("task_id").asText();
        assertThat(ok.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);
        assertThat(Json.MAPPER.readTree(ok.body()).path("status").asText()).isEqualTo("PENDING");
    }

    @Test
    void fullQueueIs429WithRetryAfter()
            throws Exception
    {
        assertThat(submit("{\"command\":[\"a\"]}").statusCode()).isEqualTo(202);
        assertThat(submit("{\"command\":[\"b\"]}").statusCode()).isEqualTo(202);
        HttpResponse<String> full = submit("{\"command\":[\"c\"]}");
        assertThat(full.statusCode()).isEqualTo(429);
        assertThat(full.headers().firstValue("Retry-After")).isPresent();
        assertThat(full.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void longPollAnswersWhenTheStateChangesAndEtagGives304()
            throws Exception
    {
        String id = Json.MAPPER.readTree(submit("{\"command\":[\"true\"]}").body()).path("task_id").asText();
        HttpResponse<String> first =
                client.send(request("/v1/tasks/" + id).build(), HttpResponse.BodyHandlers.ofString());
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(first.headers().firstValue("Retry-After")).isPresent();
        HttpResponse<String> same = client.send(request("/v1/tasks/" + id).header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(same.statusCode()).isEqualTo(304);

        CompletableFuture<HttpResponse<String>> poll =
                client.sendAsync(request("/v1/tasks/" + id + "?wait=60").header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(poll).isNotDone();
        store.cancel(id, "test");
        HttpResponse<String> changed = poll.get();
        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(changed.body()).path("status").asText()).isEqualTo("CANCELED");
        assertThat(changed.headers().firstValue("Retry-After")).isEmpty();
        assertThat(changed.headers().firstValue("ETag")).isNotEqualTo(java.util.Optional.of(etag));
    }

    @Test
    void boundedWaitWithoutChangeAnswers304()
            throws Exception
    {
        String id = Json.MAPPER.readTree(submit("{\"command\":[\"true\"]}").body()).path("task_id").asText();
        String etag = client.send(request("/v1/tasks/" + id).build(), HttpResponse.BodyHandlers.ofString()).headers()
                .firstValue("ETag").orElseThrow();
        HttpResponse<String> waited =
                client.send(request("/v1/tasks/" + id + "?wait=1").header("If-None-Match", etag).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(waited.statusCode()).isEqualTo(304);
    }

    @Test
    void deleteOfAPendingTaskIs409AndOfACanceledOne204()
            throws Exception
    {
        String id = Json.MAPPER.readTree(submit("{\"command\":[\"true\"]}").body()).path("task_id").asText();
        assertThat(client.send(request("/v1/tasks/" + id).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(409);
        assertThat(client.send(request("/v1/tasks/" + id
                + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(202);
        assertThat(client.send(request("/v1/tasks/" + id).DELETE().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(204);
        assertThat(client.send(request("/v1/tasks/" + id).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aLongPollIsWokenByTheStoreWithoutWaitingForTheSweep()
            throws Exception
    {
        // a sweep far longer than the test's timeout: only the store's change listener can answer the poll in time
        try (ApiServer slow = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, List.of("secret"), 1024, 4,
                Duration.ofHours(1)), store, SCHEMA)) {
            slow.start();
            String slowBase = "http://127.0.0.1:" + slow.address().getPort();
            String id = Json.MAPPER.readTree(submit("{\"command\":[\"true\"]}").body()).path("task_id").asText();
            CompletableFuture<HttpResponse<String>> poll = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(slowBase + "/v1/tasks/" + id + "?wait=60"))
                            .header("Authorization", "Bearer secret").build(),
                    HttpResponse.BodyHandlers.ofString());
            while (!poll.isDone() && waiting(slowBase) < 1) {
                Thread.sleep(10);
            }
            store.cancel(id, "test");
            HttpResponse<String> changed = poll.get();
            assertThat(changed.statusCode()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(changed.body()).path("status").asText()).isEqualTo("CANCELED");
        }
    }

    private double waiting(String serverBase)
            throws Exception
    {
        String metrics = client.send(HttpRequest.newBuilder(URI.create(serverBase
                + "/metrics")).header("Authorization", "Bearer secret").build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(line -> line.startsWith("taskyard_http_long_polls "))
                .mapToDouble(line -> Double.parseDouble(line.split(" ")[1]))
                .findFirst().orElse(0);
    }

    @Test
    void cachedStatusMonitorsFollowEveryChange()
            throws Exception
    {
        String id = Json.MAPPER.readTree(submit("{\"command\":[\"true\"]}").body()).path("task_id").asText();
        HttpResponse<String> pending =
                client.send(request("/v1/tasks/" + id).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> again =
                client.send(request("/v1/tasks/" + id).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(again.body()).isEqualTo(pending.body());
        assertThat(again.headers().firstValue("ETag")).isEqualTo(pending.headers().firstValue("ETag"));
        store.cancel(id, "test");
        HttpResponse<String> canceled =
                client.send(request("/v1/tasks/" + id).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(Json.MAPPER.readTree(canceled.body()).path("status").asText()).isEqualTo("CANCELED");
        assertThat(canceled.headers().firstValue("ETag")).isNotEqualTo(pending.headers().firstValue("ETag"));
        store.delete(id);
        assertThat(client.send(request("/v1/tasks/" + id).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
    }

    @Test
    void aPostRefusedBeforeItsBodyWasReadLeavesNoConnectionTheClientWouldReuseInVain()
            throws Exception
    {
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> unknown =
                    client.send(request("/v1/nothing-here").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + "}")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
            // kept alive only if the body was dropped; else the answer says close. DELETE is not resent by the client
            HttpResponse<String> next = client.send(request("/v1/tasks/01M89BC8EB7CPR4HDHFA7RM1K1").DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).isEqualTo(404);
        }
        HttpResponse<String> get =
                client.send(request("/v1/nothing-here").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(404);
        assertThat(get.headers().firstValue("Connection")).as("a GET without a body keeps its connection").isEmpty();
    }

    @Test
    void headAnswersLikeGetWithoutABody()
            throws Exception
    {
        String id = Json.MAPPER.readTree(submit("{\"command\":[\"true\"]}").body()).path("task_id").asText();
        HttpResponse<String> get =
                client.send(request("/v1/tasks/" + id).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> head =
                client.send(request("/v1/tasks/" + id).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        for (String header : List.of("ETag", "Retry-After", "Content-Type", "Content-Length")) {
            assertThat(head.headers().firstValue(header)).as(header)
                    .isEqualTo(get.headers().firstValue(header)).isPresent();
        }
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create(base + "/healthz"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        // the log of a task that has not run yet is followed by GET; HEAD answers with the headers at once
        HttpResponse<String> log = client.send(request("/v1/tasks/" + id + "/log")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(log.statusCode()).isEqualTo(200);
        assertThat(log.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain"));
        HttpResponse<String> unknown = client.send(request("/v1/tasks/01M89BC8EB7CPR4HDHFA7RM1K1")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);
        HttpResponse<String> postOnly = client.send(request("/v1/tasks/" + id + "/cancel")
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(postOnly.statusCode()).isEqualTo(405);
        assertThat(postOnly.headers().firstValue("Allow")).hasValue("POST");
        HttpResponse<String> put =
                client.send(request("/v1/tasks/" + id).PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).isEqualTo(405);
        assertThat(put.headers().firstValue("Allow")).hasValue("DELETE, GET, HEAD");
    }

    @Test
    void authenticatorComparesEveryToken()
    {
        Authenticator authenticator = new Authenticator(List.of("one", "two"));
        authenticator.check("Bearer two");
        authenticator.check("bearer one");
        for (String header : new String[] {null, "", "Bearer", "Bearer ", "Bearer three", "Basic one", "Bearer one2"}) {
            try {
                authenticator.check(header);
                throw new AssertionError("accepted " + header);
            }
            catch (ApiProblem problem) {
                assertThat(problem.status()).isEqualTo(401);
                assertThat(problem.headers().get("WWW-Authenticate")).startsWith("Bearer");
            }
        }
    }
}
