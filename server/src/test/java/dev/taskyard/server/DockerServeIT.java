package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The distribution runs tasks in containers: {@code taskyard serve} with {@code engine: docker} against the local
 * daemon, with an image imported from busybox-static (no registry). Skipped with the reason when no daemon answers,
 * unless {@code CI=true}, where it fails instead.
 */
class DockerServeIT
{
    static final String IMAGE = "taskyard-serve-it/busybox:1";

    @TempDir
    Path temp;

    @BeforeAll
    static void importImage()
            throws Exception
    {
        boolean ci = "true".equals(System.getenv("CI"));
        Process info = new ProcessBuilder("docker", "info").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        boolean reachable = info.waitFor(30, TimeUnit.SECONDS) && info.exitValue() == 0;
        if (!ci) {
            Assumptions.assumeTrue(reachable,
                    "skipped: no Docker daemon answers (docker info failed); start dockerd, or set CI=true to fail "
                    + "instead");
            Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")),
                    "skipped: busybox-static is not installed");
        }
        assertThat(reachable).as("CI=true but no Docker daemon answers").isTrue();
        String script = "set -e; root=$(mktemp -d); mkdir -p \"$root/bin\"; cp /bin/busybox \"$root/bin/busybox\";"
                + " for applet in sh echo cat sleep true; do ln -s busybox \"$root/bin/$applet\"; done;"
                + " tar -C \"$root\" -c . | docker import - " + IMAGE + " >/dev/null; rm -rf \"$root\"";
        Process imported = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String output = new String(imported.getInputStream().readAllBytes());
        assertThat(imported.waitFor(120, TimeUnit.SECONDS) && imported.exitValue() == 0)
                .as("docker import: %s", output).isTrue();
    }

    @Test
    void serveRunsATaskInAContainer()
            throws Exception
    {
        Path config = temp.resolve("docker.json");
        Files.writeString(config, """
                {"worker": {"concurrency": 2}, "engine": "docker", "engines": {"docker": {}},
                 "plugins": {"env": {}, "success": {}, "tasklog": {}}}
                """);
        try (TaskyardServer server = TaskyardServer.start(temp.resolve("data"), "--config", config.toString())) {
            String ok = server.submit("{\"image\": \"" + IMAGE
                    + "\", \"command\": [\"sh\", \"-c\", \"echo hello from $WHERE\"], \"env\": {\"WHERE\": \"a "
                    + "container\"}}");
            JsonNode done = server.awaitTerminal(ok, Duration.ofSeconds(120));
            assertThat(done.path("status").asText()).as("%s\n%s", done, server.stderr).isEqualTo("COMPLETED");
            assertThat(server.get("/v1/tasks/" + ok + "/log").body()).contains("hello from a container");

            String failing = server.submit("{\"image\": \"" + IMAGE + "\", \"command\": [\"sh\", \"-c\", \"exit 4\"]}");
            assertThat(server.awaitTerminal(failing, Duration.ofSeconds(120)).path("error").path("reason").asText())
                    .isEqualTo("task-failed");
        }
    }
}
