package dev.taskyard.server;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The rest of the API against the real server: idempotency, ETags, long poll, log, artifacts, cancel, delete, list,
 * meta. */
class ApiIT
{
    @TempDir
    static Path temp;
    static TaskyardServer server;

    @BeforeAll
    static void start()
            throws Exception
    {
        server = TaskyardServer.start(temp.resolve("data"));
    }

    @AfterAll
    static void stop()
            throws Exception
    {
        if (server != null) {
            server.close();
        }
    }

    private static HttpResponse<String> submitWithKey(String key, String payload)
            throws Exception
    {
        return server.send(server.request("/v1/tasks").header("Content-Type",
                "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(payload)).build());
    }

    @Test
    void tokenFileIsOwnerOnly()
            throws Exception
    {
        assertThat(server.tokenFile).startsWith(temp.resolve("data"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.tokenFile)))
                .isEqualTo("rw-------");
        assertThat(server.token).hasSizeGreaterThanOrEqualTo(40);
    }

    @Test
    void idempotencyKeyReturnsTheSameTaskAndRefusesAnotherBody()
            throws Exception
    {
        HttpResponse<String> first = submitWithKey("key-1", "{\"command\":[\"true\"]}");
        HttpResponse<String> again = submitWithKey("key-1", "{ \"command\" : [\"true\"] }");
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(again.statusCode()).isEqualTo(202);
        String id = TaskyardServer.JSON.readTree(first.body()).path("task_id").asText();
        assertThat(TaskyardServer.JSON.readTree(again.body()).path("task_id").asText()).isEqualTo(id);
        assertThat(again.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);
        HttpResponse<String> other = submitWithKey("key-1", "{\"command\":[\"false\"]}");
        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(other.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void etagLongPollLogArtifactsAndDelete()
            throws Exception
    {
        Path go = temp.resolve("go-etag");
        String id = server.submit("{\"command\":[\"sh\",\"-c\",\"echo first line; while [ ! -e " + go
                + " ]; do sleep 0.05; done; echo second line; echo art > out.txt\"],"
                + "\"artifacts\":[{\"type\":\"file\",\"path\":\"out.txt\",\"name\":\"public/out.txt\"}]}");
        HttpResponse<String> status = server.get("/v1/tasks/" + id);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(status.headers().firstValue("Retry-After")).isPresent();
        String etag = status.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> notModified =
                server.send(server.request("/v1/tasks/" + id).header("If-None-Match", etag).GET().build());
        if (notModified.statusCode() == 200) {
            etag = notModified.headers().firstValue("ETag").orElseThrow();
            notModified = server.send(server.request("/v1/tasks/" + id).header("If-None-Match", etag).GET().build());
        }
        assertThat(notModified.statusCode()).isIn(200, 304);

        // a running task cannot be deleted
        for (int i = 0; i < 100 && !server.task(id).path("status").asText().equals("RUNNING"); i++) {
            server.get("/v1/tasks/" + id + "?wait=1");
        }
        HttpResponse<String> early = server.send(server.request("/v1/tasks/" + id).DELETE().build());
        assertThat(early.statusCode()).isEqualTo(409);

        // the log is followed live: the first line arrives before the task ends, then the stream ends with the task
        java.util.concurrent.CompletableFuture<HttpResponse<String>> follow =
                server.client.sendAsync(server.request("/v1/tasks/" + id + "/log").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(follow).isNotDone();
        Files.createFile(go);
        HttpResponse<String> log = follow.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(log.statusCode()).isEqualTo(200);
        assertThat(log.body()).contains("first line\n").contains("second line\n");

        JsonNode done = server.awaitTerminal(id, Duration.ofSeconds(60));
        assertThat(done.path("status").asText()).isEqualTo("COMPLETED");
        HttpResponse<String> terminal = server.get("/v1/tasks/" + id);
        assertThat(terminal.headers().firstValue("Retry-After")).isEmpty();
        HttpResponse<String> same = server.send(server.request("/v1/tasks/" + id).header("If-None-Match",
                terminal.headers().firstValue("ETag").orElseThrow()).GET().build());
        assertThat(same.statusCode()).isEqualTo(304);

        int offset = log.body().indexOf("second line");
        HttpResponse<String> resumed = server.send(server.request("/v1/tasks/" + id + "/log")
                .header("Range", "bytes=" + offset + "-").GET().build());
        assertThat(resumed.statusCode()).isEqualTo(206);
        assertThat(resumed.body()).isEqualTo(log.body().substring(offset));
        int length = log.body().length();
        assertThat(resumed.headers().firstValue("Content-Range"))
                .hasValue("bytes " + offset + "-" + (length - 1) + "/" + length);
        HttpResponse<String> past = server.send(server.request("/v1/tasks/" + id + "/log")
                .header("Range", "bytes=" + length + "-").GET().build());
        assertThat(past.statusCode()).isEqualTo(416);
        assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */" + length);

        JsonNode artifacts = TaskyardServer.JSON.readTree(server.get("/v1/tasks/" + id + "/artifacts").body());
        assertThat(artifacts.findValuesAsText("name")).contains("public/out.txt", "public/logs/task.log");
        HttpResponse<String> artifact = server.get("/v1/tasks/" + id + "/artifacts/public/out.txt");
        assertThat(artifact.statusCode()).isEqualTo(200);
        assertThat(artifact.body()).isEqualTo("art\n");

        HttpResponse<String> deleted = server.send(server.request("/v1/tasks/" + id).DELETE().build());
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(server.get("/v1/tasks/" + id).statusCode()).isEqualTo(404);
    }

    /**
     * A run that prints nothing: its log, followed while it runs, waits and then ends empty with the run; read after
     * the end it is an empty log (200, and 416 {@code bytes * /0} past its end); and the store holds no log for it
     * (the log copy writes nothing for an empty log, not even a close).
     */
    @Test
    void aSilentRunsLogIsEmptyEndsWithTheRunAndIsNotStored()
            throws Exception
    {
        Path go = temp.resolve("go-silent");
        String id = server.submit("{\"command\":[\"sh\",\"-c\",\"while [ ! -e " + go
                + " ]; do sleep 0.05; done\"]}");
        for (int i = 0; i < 100 && !server.task(id).path("status").asText().equals("RUNNING"); i++) {
            server.get("/v1/tasks/" + id + "?wait=1");
        }
        assertThat(server.task(id).path("status").asText()).isEqualTo("RUNNING");
        java.util.concurrent.CompletableFuture<HttpResponse<String>> follow =
                server.client.sendAsync(server.request("/v1/tasks/" + id + "/log").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(700);
        assertThat(follow).as("the run goes on: the log is followed").isNotDone();
        Files.createFile(go);
        HttpResponse<String> followed = follow.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(followed.statusCode()).isEqualTo(200);
        assertThat(followed.body()).isEmpty();
        assertThat(followed.headers().firstValue("Content-Range")).isEmpty();
        assertThat(server.awaitTerminal(id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("COMPLETED");

        HttpResponse<String> log = server.get("/v1/tasks/" + id + "/log");
        assertThat(log.statusCode()).isEqualTo(200);
        assertThat(log.body()).isEmpty();
        assertThat(log.headers().firstValue("Accept-Ranges")).hasValue("bytes");
        HttpResponse<String> past = server.send(server.request("/v1/tasks/" + id + "/log")
                .header("Range", "bytes=1-").GET().build());
        assertThat(past.statusCode()).isEqualTo(416);
        assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */0");

        Path database = temp.resolve("data").resolve("store").resolve("taskyard.db");
        try (java.sql.Connection connection =
                java.sql.DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath());
                java.sql.PreparedStatement count =
                        connection.prepareStatement("SELECT COUNT(*) FROM task_logs WHERE task_id = ?")) {
            count.setString(1, id);
            try (java.sql.ResultSet rows = count.executeQuery()) {
                rows.next();
                assertThat(rows.getInt(1)).as("no stored log for a run that printed nothing").isZero();
            }
        }
    }

    @Test
    void cancelIsIdempotentAndEndsCanceled()
            throws Exception
    {
        String id = server.submit("{\"command\":[\"sleep\",\"600\"]}");
        for (int i = 0; i < 100 && !server.task(id).path("status").asText().equals("RUNNING"); i++) {
            server.get("/v1/tasks/" + id + "?wait=1");
        }
        HttpResponse<String> cancel = server.send(server.request("/v1/tasks/" + id + "/cancel")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(cancel.statusCode()).isEqualTo(202);
        HttpResponse<String> again = server.send(server.request("/v1/tasks/" + id + "/cancel")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(again.statusCode()).isEqualTo(202);
        JsonNode task = server.awaitTerminal(id, Duration.ofSeconds(60));
        assertThat(task.path("status").asText()).isEqualTo("CANCELED");
        assertThat(task.path("error").path("reason").asText()).isEqualTo("canceled");
        assertThat(task.path("error").path("type").asText()).startsWith("https://");
        // the log of a canceled run ends too
        HttpResponse<String> log = server.get("/v1/tasks/" + id + "/log");
        assertThat(log.statusCode()).isEqualTo(200);
    }

    @Test
    void listPagesWithOpaqueTokensAndFilters()
            throws Exception
    {
        for (int i = 0; i < 5; i++) {
            server.submit("{\"command\":[\"true\"],\"env\":{\"N\":\"" + i + "\"}}");
        }
        JsonNode first = TaskyardServer.JSON.readTree(server.get("/v1/tasks?page_size=2").body());
        assertThat(first.path("tasks").size()).isEqualTo(2);
        String token = first.path("next_page_token").asText();
        JsonNode second = TaskyardServer.JSON.readTree(server.get("/v1/tasks?page_size=2&page_token=" + token).body());
        assertThat(second.path("tasks").size()).isEqualTo(2);
        assertThat(second.path("tasks").get(0).path("task_id").asText())
                .isNotEqualTo(first.path("tasks").get(1).path("task_id").asText());
        JsonNode failed = TaskyardServer.JSON.readTree(server.get("/v1/tasks?status=FAILED").body());
        failed.path("tasks").forEach(t -> assertThat(t.path("status").asText()).isEqualTo("FAILED"));
    }

    @Test
    void metricsOpenApiAndHealth()
            throws Exception
    {
        server.get("/v1/tasks");
        HttpResponse<String> metrics = server.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("taskyard_tasks{state=\"PENDING\"}").contains("taskyard_queue_depth")
                .contains("http_server_requests_seconds_count");
        HttpResponse<String> openApi = server.get("/v1/openapi.json");
        assertThat(openApi.statusCode()).isEqualTo(200);
        assertThat(TaskyardServer.JSON.readTree(openApi.body()).path("openapi").asText()).isEqualTo("3.1.0");
    }
}
