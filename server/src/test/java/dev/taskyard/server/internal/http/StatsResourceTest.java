package dev.taskyard.server.internal.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.store.SqliteTaskStore;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.TaskStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class StatsResourceTest
{
    @TempDir
    Path temp;

    @Test
    void samplesQueueDepthAndWhatWasSubmittedAndFinishedPerInterval()
            throws Exception
    {
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(temp.resolve("store")).open()) {
            AtomicLong submitted = new AtomicLong();
            try (StatsResource stats = new StatsResource(store, submitted::get, Duration.ofSeconds(5), 3,
                    Clock.fixed(Instant.EPOCH, ZoneOffset.UTC))) {
                stats.sample();
                String a = submit(store, submitted);
                submit(store, submitted);
                submit(store, submitted);
                stats.sample();
                store.cancel(a, "test");
                stats.sample();
                List<StatsResource.Sample> history = stats.history();
                assertThat(history).hasSize(3);
                assertThat(history.get(0).submitted()).isZero();
                assertThat(history.get(1).counts().get(TaskStatus.PENDING)).isEqualTo(3);
                assertThat(history.get(1).submitted()).isEqualTo(3);
                assertThat(history.get(1).finished()).isZero();
                assertThat(history.get(2).counts().get(TaskStatus.PENDING)).isEqualTo(2);
                assertThat(history.get(2).finished()).isEqualTo(1);
                assertThat(history.get(2).submitted()).isZero();

                // deleting finished tasks never makes the throughput negative; only `keep` samples are kept
                store.delete(a);
                stats.sample();
                assertThat(stats.history()).hasSize(3);
                assertThat(stats.history().get(2).finished()).isZero();
            }
        }
    }

    @Test
    void theRouteAnswersTheCountsAndTheHistory()
            throws Exception
    {
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(temp.resolve("store")).open();
                ApiServer server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, List.of("secret"), 1024, 4,
                        Duration.ofMillis(20)), store, JsonSchema.parse("{\"type\":\"object\"}"))) {
            server.start();
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.address().getPort();
            HttpResponse<String> submitted = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks"))
                    .header("Authorization", "Bearer secret")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"x\":1}"))
                            .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(submitted.statusCode()).isEqualTo(202);
            HttpResponse<String> response =
                    client.send(HttpRequest.newBuilder(URI.create(base + "/v1/stats")).header("Authorization",
                    "Bearer secret").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = Json.MAPPER.readTree(response.body());
            assertThat(body.path("tasks").path("PENDING").asLong()).isEqualTo(1);
            assertThat(body.path("tasks").path("CANCELED").asLong()).isZero();
            assertThat(body.path("interval_seconds").asDouble()).isEqualTo(5.0);
            assertThat(body.path("samples").isArray()).isTrue();
            assertThat(body.path("samples").size()).isGreaterThanOrEqualTo(1);
            assertThat(body.path("samples").get(0).has("queue_depth")).isTrue();

            String id = Json.MAPPER.readTree(submitted.body()).path("task_id").asText();
            HttpResponse<String> payload =
                    client.send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks/" + id + "/payload"))
                    .header("Authorization", "Bearer secret").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(payload.statusCode()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(payload.body())).isEqualTo(Json.MAPPER.readTree("{\"x\":1}"));
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/v1/tasks/nope/payload"))
                    .header("Authorization", "Bearer secret").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        }
    }

    private static String submit(SqliteTaskStore store, AtomicLong submitted)
            throws Exception
    {
        submitted.incrementAndGet();
        return store.submit(new SubmitRequest(Json.MAPPER.createObjectNode().put("x", 1), Optional.empty(),
                Optional.empty())).task().taskId();
    }
}
