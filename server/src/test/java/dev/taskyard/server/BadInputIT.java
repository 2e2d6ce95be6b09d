package dev.taskyard.server;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad requests against the real server: each is answered with the right 4xx {@code application/problem+json}, and
 * the stored tasks (listed before and after) are unchanged.
 */
class BadInputIT
{
    @TempDir
    static Path temp;
    static TaskyardServer server;
    static String existing;

    @BeforeAll
    static void start()
            throws Exception
    {
        server = TaskyardServer.start(temp.resolve("data"));
        existing = server.submit("{\"command\":[\"true\"]}");
        server.awaitTerminal(existing, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop()
            throws Exception
    {
        if (server != null) {
            server.close();
        }
    }

    private static JsonNode problem(HttpResponse<String> response, int status)
            throws Exception
    {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode body = TaskyardServer.JSON.readTree(response.body());
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("type").asText()).startsWith("https://taskyard.dev/problems/");
        assertThat(body.path("title").asText()).isNotEmpty();
        assertThat(body.path("detail").asText()).isNotEmpty();
        return body;
    }

    private static HttpResponse<String> postRaw(String contentType, String body)
            throws Exception
    {
        return server.send(server.request("/v1/tasks").header("Content-Type",
                contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** A GET with a target the JDK client refuses to send (malformed escapes); returns the whole answer. */
    private static String rawGet(String target)
            throws Exception
    {
        URI base = URI.create(server.baseUrl);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", base.getPort())) {
            socket.setSoTimeout(30_000);
            String request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + server.token
                    + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void badRequestsAreProblemsAndChangeNothing()
            throws Exception
    {
        List<String> before = server.listAll();
        assertThat(before).containsExactly(existing + "=COMPLETED");

        assertThat(problem(postRaw("application/json", "{\"command\": [\"true\""), 400).path("type").asText())
                .endsWith("/malformed-json");
        assertThat(problem(postRaw("application/json", "{\"command\":[\"true\"]} trailing"), 400).path("type").asText())
                .endsWith("/malformed-json");
        assertThat(problem(postRaw("application/json", ""), 400).path("type").asText()).endsWith("/invalid-payload");
        JsonNode arrayBody = problem(postRaw("application/json", "[1,2]"), 400);
        assertThat(arrayBody.path("errors").get(0).path("path").asText()).isEqualTo("$");

        JsonNode wrongTypes =
                problem(postRaw("application/json", "{\"command\":\"echo hi\",\"env\":{\"A\":1},\"bogus\":true}"), 400);
        List<String> paths = wrongTypes.findValuesAsText("path");
        assertThat(paths).contains("$.command", "$.env.A").anyMatch(p -> p.contains("bogus") || p.equals("$"));
        assertThat(wrongTypes.path("errors").size()).isGreaterThanOrEqualTo(3);
        problem(postRaw("application/json", "{}"), 400);

        assertThat(problem(postRaw("application/json", "[".repeat(5000) + "]".repeat(5000)), 400).path("type").asText())
                .endsWith("/malformed-json");
        HttpResponse<String> badUtf8 =
                server.send(server.request("/v1/tasks").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', 'c', 'o', 'm', 'm', 'a', 'n', 'd',
                        '"', ':', '[', '"', (byte) 0xff, (byte) 0xfe, '"', ']', '}'})).build());
        assertThat(problem(badUtf8, 400).path("type").asText()).endsWith("/malformed-json");
        assertThat(rawGet("/v1/tasks?page_token=%25%zz")).startsWith("HTTP/1.1 400 ")
                .containsIgnoringCase("Content-Type: application/problem+json");
        assertThat(rawGet("/v1/tasks/%zz")).startsWith("HTTP/1.1 400 ")
                .containsIgnoringCase("Content-Type: application/problem+json");
        HttpResponse<String> chunked =
                server.send(server.request("/v1/tasks").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() ->
                        new java.io.ByteArrayInputStream(("{\"command\":[\"" + "x".repeat(1_200_000)
                        + "\"]}").getBytes()))).build());
        problem(chunked, 413);

        problem(postRaw("text/plain", "{\"command\":[\"true\"]}"), 415);
        problem(server.send(server.request("/v1/tasks")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":[\"true\"]}")).build()), 415);

        String huge = "{\"command\":[\"echo\",\"" + "x".repeat(2 * 1024 * 1024) + "\"]}";
        problem(postRaw("application/json", huge), 413);

        problem(server.get("/v1/nope"), 404);
        problem(server.get("/v1/tasks/task-does-not-exist"), 404);
        problem(server.get("/v1/tasks/not%20an%20id"), 404);
        problem(server.get("/v1/tasks/task-does-not-exist/log"), 404);
        problem(server.get("/v1/tasks/task-does-not-exist/artifacts"), 404);
        problem(server.get("/v1/tasks/" + existing + "/artifacts/no/such/file.txt"), 404);
        HttpResponse<String> escape = server.get("/v1/tasks/" + existing + "/artifacts/..%2F..%2Fetc/passwd");
        problem(escape, escape.statusCode() == 400 ? 400 : 404);
        problem(server.send(server.request("/v1/tasks/task-does-not-exist/cancel")
                .POST(HttpRequest.BodyPublishers.noBody()).build()), 404);
        problem(server.send(server.request("/v1/tasks/task-does-not-exist").DELETE().build()), 404);

        HttpResponse<String> put =
                server.send(server.request("/v1/tasks").PUT(HttpRequest.BodyPublishers.ofString("{}")).build());
        problem(put, 405);
        assertThat(put.headers().firstValue("Allow")).hasValue("GET, HEAD, POST");
        HttpResponse<String> getCancel = server.get("/v1/tasks/" + existing + "/cancel");
        problem(getCancel, 405);
        assertThat(getCancel.headers().firstValue("Allow")).hasValue("POST");

        problem(server.get("/v1/tasks?page_size=0"), 400);
        problem(server.get("/v1/tasks?page_size=abc"), 400);
        problem(server.get("/v1/tasks?status=DONE"), 400);
        problem(server.get("/v1/tasks?page_token=bm90LWEtdG9rZW4"), 400);
        problem(server.get("/v1/tasks/" + existing + "?wait=-1"), 400);
        problem(server.get("/v1/tasks/" + existing + "?wait=999"), 400);
        problem(server.send(server.request("/v1/tasks").header("Content-Type",
                "application/json").header("Idempotency-Key", "")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":[\"true\"]}")).build()), 400);

        HttpResponse<String> noToken = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/v1/tasks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"command\":[\"true\"]}")).build());
        problem(noToken, 401);
        assertThat(noToken.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
        HttpResponse<String> wrongToken =
                server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/v1/tasks/" + existing))
                .header("Authorization", "Bearer " + server.token + "x").GET().build());
        problem(wrongToken, 401);
        assertThat(wrongToken.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
        problem(server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/v1/tasks/"
                + existing)).header("Authorization", "Basic " + server.token).GET().build()), 401);
        problem(server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/metrics")).GET().build()), 401);
        problem(server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/v1/nope")).GET().build()), 401);
        problem(server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/v1/tasks/"
                + existing)).DELETE().build()), 401);

        assertThat(server.listAll()).isEqualTo(before);
        assertThat(server.task(existing).path("status").asText()).isEqualTo("COMPLETED");
    }

    @Test
    void healthNeedsNoToken()
            throws Exception
    {
        HttpResponse<String> health =
                server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/healthz")).GET().build());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"ok\"");
    }
}
