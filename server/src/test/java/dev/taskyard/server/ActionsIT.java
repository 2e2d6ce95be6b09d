package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Named actions through the real jar: {@code actions} in the config, {@code GET /v1/actions}, {@code POST
 * /v1/actions/{action}}. */
class ActionsIT
{
    private static final String CONFIG = """
            {"worker": {"concurrency": 1}, "engine": "process", "plugins": {"env": {}, "success": {}},
             "actions": {"word-count": {
                 "description": "Counts the words of a text",
                 "input": {"type": "object", "properties": {"text": {"type": "string", "maxLength": 1000}}, \
            "required": ["text"], "additionalProperties": false},
                 "task": {"command": ["sh", "-c", \
            "echo \\"env=$WC_INPUT\\"; echo \\"file=$(cat input.json)\\"; wc -w < input.json"]},
                 "inputFile": "input.json", "inputEnv": "WC_INPUT"}}}
            """;

    @TempDir
    Path temp;

    @Test
    void actionRunsWithItsInputAndBadRequestsStoreNothing()
            throws Exception
    {
        Path config = temp.resolve("taskyard.json");
        Files.writeString(config, CONFIG);
        try (TaskyardServer server = TaskyardServer.start(temp.resolve("data"), "--config", config.toString())) {
            JsonNode listed = TaskyardServer.JSON.readTree(server.get("/v1/actions").body());
            assertThat(listed.path("actions").get(0).path("name").asText()).isEqualTo("word-count");
            assertThat(listed.path("actions").get(0).path("input").path("required").get(0).asText()).isEqualTo("text");

            assertThat(server.post("/v1/actions/nope", "{\"text\":\"x\"}").statusCode()).isEqualTo(404);
            assertThat(server.post("/v1/actions/word-count", "{\"text\": ").statusCode()).isEqualTo(400);
            var invalid = server.post("/v1/actions/word-count", "{\"text\": 42, \"more\": 1}");
            assertThat(invalid.statusCode()).isEqualTo(400);
            assertThat(TaskyardServer.JSON.readTree(invalid.body()).path("errors")
                    .findValuesAsText("path")).contains("$.text");
            assertThat(server.listAll()).isEmpty();

            var accepted = server.post("/v1/actions/word-count", "{\"text\": \"three little words\"}");
            assertThat(accepted.statusCode()).isEqualTo(202);
            JsonNode view = TaskyardServer.JSON.readTree(accepted.body());
            String id = view.path("task_id").asText();
            assertThat(view.path("status").asText()).isEqualTo("PENDING");
            assertThat(accepted.headers().firstValue("Location")).hasValue("/v1/tasks/" + id);
            assertThat(server.awaitTerminal(id, Duration.ofSeconds(60)).path("status").asText()).isEqualTo("COMPLETED");
            String log = server.get("/v1/tasks/" + id + "/log").body();
            assertThat(log).contains("env={\"text\":\"three little words\"}")
                    .contains("file={\"text\":\"three little words\"}").containsPattern("(?m)^\\s*3\\s*$");
            assertThat(server.listAll()).hasSize(1);
        }
    }

    @Test
    void badActionConfigIsAClearStartUpError()
            throws Exception
    {
        Path config = temp.resolve("bad.json");
        Files.writeString(config,
                "{\"engine\": \"process\", \"actions\": {\"word-count\": {\"input\": {\"type\": 7}, \"task\": "
                + "{\"command\": [\"true\"]}}}}");
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process bad = new ProcessBuilder(List.of(java, "-jar", jar.toString(), "serve", "--config", config.toString(),
                "--data", temp.resolve("d").toString(), "--port", "0"))
                .redirectErrorStream(true).start();
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bad.getInputStream().readAllBytes());
        assertThat(bad.exitValue()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(output).startsWith("taskyard: invalid config: $.actions.word-count.input");
    }
}
