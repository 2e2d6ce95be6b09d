package dev.taskyard.server.internal.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.store.SqliteTaskStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Named actions: parsing the config section, building payloads, and {@code /v1/actions} in process over a real store.
 * */
class ActionsTest
{
    private static final JsonSchema PAYLOAD = JsonSchema.parse("{\"type\":\"object\",\"properties\":{"
            + "\"command\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1},"
            + "\"env\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}},"
            + "\"required\":[\"command\"],\"additionalProperties\":false}");
    private static final String WORD_COUNT = "{\"word-count\":{\"description\":\"counts words\","
            + "\"input\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
            + "\"required\":[\"text\"],\"additionalProperties\":false},"
            + "\"task\":{\"command\":[\"wc\",\"-w\",\"in.json\"],\"env\":{\"A\":\"b\"}},"
            + "\"inputFile\":\"in.json\",\"inputEnv\":\"WC_INPUT\"},"
            + "\"broken\":{\"input\":true,\"task\":{\"nope\":1}}}";

    @TempDir
    Path temp;

    private static Actions parse(String json)
            throws Exception
    {
        return Actions.parse(Json.MAPPER.readTree(json));
    }

    @Test
    void parsesActionsAndBuildsPayloadsWithEnvAndFile()
            throws Exception
    {
        Actions actions = parse(WORD_COUNT);
        Action action = actions.get("word-count").orElseThrow();
        ObjectNode payload = action.payload(Json.MAPPER.readTree("{\"text\":\"a b\"}"));
        assertThat(payload.path("env").path("WC_INPUT").asText()).isEqualTo("{\"text\":\"a b\"}");
        assertThat(payload.path("env").path("A").asText()).isEqualTo("b");
        List<String> command = Json.MAPPER.convertValue(payload.path("command"),
                Json.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
        assertThat(command).containsExactly("sh", "-c", Action.WRITE_INPUT, "sh", "{\"text\":\"a b\"}",
                "in.json", "wc", "-w", "in.json");
        assertThat(action.template().path("command")).hasSize(3);
        assertThat(actions.get("broken").orElseThrow().inputEnv()).hasValue(Action.DEFAULT_ENV);
        assertThat(actions.view().path("actions").get(0).path("input").path("required").get(0)
                .asText()).isEqualTo("text");
        assertThat(Actions.parse(null).all()).isEmpty();
    }

    @Test
    void badConfigNamesTheActionAndThePath()
    {
        assertThatThrownBy(() -> parse("{\"Bad\":{\"input\":{},\"task\":{}}}")).hasMessageContaining("$.actions.Bad")
                .hasMessageContaining("[a-z]");
        assertThatThrownBy(() -> parse("{\"a\":{\"input\":{},\"task\":[]}}"))
                .hasMessageStartingWith("$.actions.a.task:");
        assertThatThrownBy(() -> parse("{\"a\":{\"task\":{}}}")).hasMessageStartingWith("$.actions.a.input:");
        assertThatThrownBy(() -> parse("{\"a\":{\"input\":{\"type\":7},\"task\":{}}}"))
                .hasMessageStartingWith("$.actions.a.input.type:");
        assertThatThrownBy(() -> parse("{\"a\":{\"input\":{},\"task\":{},\"inputFile\":\"../x\"}}"))
                .hasMessageStartingWith("$.actions.a.inputFile:");
        assertThatThrownBy(() -> parse("{\"a\":{\"input\":{},\"task\":{},\"inputFile\":\"x\"}}"))
                .hasMessageStartingWith("$.actions.a.task.command:");
        assertThatThrownBy(() -> parse("{\"a\":{\"input\":{},\"task\":{},\"inputEnv\":\"1X\"}}"))
                .hasMessageStartingWith("$.actions.a.inputEnv:");
        assertThatThrownBy(() -> parse("{\"a\":{\"input\":{},\"task\":{},\"extra\":1}}"))
                .hasMessageStartingWith("$.actions.a.extra:");
        assertThatThrownBy(() -> parse("[]")).hasMessageStartingWith("$.actions:");
    }

    @Test
    void runValidatesTheInputThenSubmitsLikePostTasks()
            throws Exception
    {
        try (SqliteTaskStore store = SqliteTaskStore.Options.builder(temp.resolve("store")).open();
                ApiServer server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, List.of("secret"), 4096, 4,
                        Duration.ofMillis(20)), store, PAYLOAD, parse(WORD_COUNT))) {
            server.start();
            String base = "http://127.0.0.1:" + server.address().getPort();
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> list =
                    client.send(HttpRequest.newBuilder(URI.create(base + "/v1/actions")).header("Authorization",
                    "Bearer secret").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(list.body()).findValuesAsText("name"))
                    .containsExactly("word-count", "broken");
            HttpResponse<String> noToken = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/actions")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(noToken.statusCode()).isEqualTo(401);

            assertThat(post(client, base, "nope", "{}", null).statusCode()).isEqualTo(404);
            assertThat(post(client, base, "word-count", "{\"text\":", null).statusCode()).isEqualTo(400);
            HttpResponse<String> invalid = post(client, base, "word-count", "{\"text\":7}", null);
            assertThat(invalid.statusCode()).isEqualTo(400);
            assertThat(Json.MAPPER.readTree(invalid.body()).findValuesAsText("path")).contains("$.text");
            // the template of "broken" does not make a valid payload: the merged payload schema still applies
            HttpResponse<String> badTemplate = post(client, base, "broken", "{}", null);
            assertThat(badTemplate.statusCode()).isEqualTo(400);
            assertThat(badTemplate.body()).contains("invalid-payload");
            assertThat(store.countByStatus().values().stream().mapToLong(Long::longValue).sum()).isZero();

            HttpResponse<String> ok = post(client, base, "word-count", "{\"text\":\"a b\"}", "k1");
            assertThat(ok.statusCode()).isEqualTo(202);
            JsonNode view = Json.MAPPER.readTree(ok.body());
            String id = view.path("task_id").asText();
            assertThat(ok.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);
            assertThat(view.path("status").asText()).isEqualTo("PENDING");
            HttpResponse<String> again = post(client, base, "word-count", "{\"text\":\"a b\"}", "k1");
            assertThat(again.statusCode()).isEqualTo(202);
            assertThat(Json.MAPPER.readTree(again.body()).path("task_id").asText()).isEqualTo(id);
            assertThat(post(client, base, "word-count", "{\"text\":\"c\"}", "k1").statusCode()).isEqualTo(422);
            assertThat(store.countByStatus().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(1);
        }
    }

    private static HttpResponse<String> post(HttpClient client, String base, String action, String body, String key)
            throws Exception
    {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + "/v1/actions/" + action))
                .header("Authorization", "Bearer secret")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
