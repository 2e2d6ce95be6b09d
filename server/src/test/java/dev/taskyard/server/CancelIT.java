package dev.taskyard.server;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cancel through the API reaches the running task's process at once, through the store's cancel notice, not at the
 * worker's next lease renewal: with a 600 s lease, renewals are 200 s apart, and the process must die well before.
 */
class CancelIT
{
    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    @TempDir
    Path temp;

    @Test
    void aCancelKillsTheRunningProcessWithoutWaitingForARenewal()
            throws Exception
    {
        Path config = temp.resolve("config.json");
        Files.writeString(config, """
                {"worker": {"concurrency": 1, "leaseDuration": 600}, "engine": "process", "plugins": {"success": {}}}
                """);
        try (TaskyardServer server = TaskyardServer.start(temp.resolve("data"), "--config", config.toString())) {
            String id = server.submit("{\"command\": [\"sh\", \"-c\", \"echo pid $$; exec sleep 600\"]}");
            // the log follows the running task: read its first line only
            HttpResponse<InputStream> log = server.client.send(server.request("/v1/tasks/" + id + "/log").GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            String first;
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(log.body(), StandardCharsets.UTF_8))) {
                first = reader.readLine();
            }
            Matcher matcher = PID.matcher(String.valueOf(first));
            assertThat(matcher.find()).as("first log line %s", first).isTrue();
            long pid = Long.parseLong(matcher.group(1));
            assertThat(pid).as("the task printed its pid").isPositive();
            assertThat(ProcessHandle.of(pid)).as("the task's process runs").isPresent();

            assertThat(server.send(server.request("/v1/tasks/" + id
                    + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(202);
            assertThat(server.awaitTerminal(id, Duration.ofSeconds(30)).path("status").asText()).isEqualTo("CANCELED");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .as("the process of the cancelled task died long before the next renewal (200 s away)").isFalse();
        }
    }
}
