package dev.taskyard.server;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code taskyard serve --config FILE}: a token file from the config, the config's plugins, and config errors. */
class ServeConfigIT
{
    @TempDir
    Path temp;

    @Test
    void tokenFileAndPluginsFromTheConfig()
            throws Exception
    {
        Path tokenFile = temp.resolve("tokens");
        Files.writeString(tokenFile, "# API tokens\nfirst-token\nsecond-token\n");
        Path config = temp.resolve("taskyard.yaml");
        Files.writeString(config,
                "worker: {concurrency: 1}\nengine: process\nplugins: {env: {extra: {POOL: blue}}, success: "
                + "{}}\nserver: {tokenFile: " + tokenFile + "}\n");
        try (TaskyardServer server = TaskyardServer.start(temp.resolve("data"), "--config", config.toString())) {
            assertThat(server.tokenFile).isEqualTo(tokenFile);
            assertThat(Files.exists(temp.resolve("data").resolve("api-token"))).isFalse();
            HttpResponse<String> second = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl + "/v1/tasks"))
                    .header("Authorization", "Bearer second-token").GET().build());
            assertThat(second.statusCode()).isEqualTo(200);
            String id = server.submit("{\"command\":[\"sh\",\"-c\",\"echo pool=$POOL\"]}");
            assertThat(server.awaitTerminal(id, java.time.Duration.ofSeconds(60)).path("status").asText())
                    .isEqualTo("COMPLETED");
            assertThat(server.get("/v1/tasks/" + id + "/log").body()).contains("pool=blue");
            // result is not enabled in this config, so its payload key is unknown
            HttpResponse<String> unknownKey =
                    server.post("/v1/tasks", "{\"command\":[\"true\"],\"result\":{\"path\":\"r.json\"}}");
            assertThat(unknownKey.statusCode()).isEqualTo(400);
            assertThat(unknownKey.body()).contains("result");
        }
    }

    @Test
    void invalidConfigAndPortAreClearErrors()
            throws Exception
    {
        Path config = temp.resolve("bad.yaml");
        Files.writeString(config, "worker: {concurrency: 0}\nengine: nope\n");
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process bad = new ProcessBuilder(List.of(java, "-jar", jar.toString(), "serve", "--config", config.toString(),
                "--data", temp.resolve("d1").toString(), "--port", "0"))
                .redirectErrorStream(true).start();
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bad.getInputStream().readAllBytes());
        assertThat(bad.exitValue()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(output).startsWith("taskyard: invalid config: ")
                .contains("$.worker.concurrency").contains("$.engine");
        Process port = new ProcessBuilder(List.of(java, "-jar", jar.toString(), "serve", "--data",
                temp.resolve("d2").toString(), "--port", "99999"))
                .redirectErrorStream(true).start();
        assertThat(port.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(port.exitValue()).isEqualTo(2);
        assertThat(new String(port.getInputStream().readAllBytes())).contains("--port");
        assertThat(temp.resolve("d2")).doesNotExist();
    }

    @Test
    void serverSectionIsValidatedAgainstItsSchema()
            throws Exception
    {
        Path config = temp.resolve("server-typo.yaml");
        Files.writeString(config,
                "worker: {concurrency: 1}\nengine: process\nserver: {maxPendng: 5, tokens: secret, maxBodyBytes: "
                + "big}\n");
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process bad = new ProcessBuilder(List.of(java, "-jar", jar.toString(), "serve", "--config", config.toString(),
                "--data", temp.resolve("d3").toString(), "--port", "0"))
                .redirectErrorStream(true).start();
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bad.getInputStream().readAllBytes());
        assertThat(bad.exitValue()).isEqualTo(Main.TASKYARD_FAILED);
        assertThat(output).startsWith("taskyard: invalid config: ")
                .contains("$.server")
                .contains("maxPendng")
                .contains("$.server.tokens")
                .contains("$.server.maxBodyBytes");
        assertThat(temp.resolve("d3").resolve("api-token")).as("no token was generated").doesNotExist();
        assertThat(temp.resolve("d3").resolve("store")).as("nothing was opened").doesNotExist();
    }
}
