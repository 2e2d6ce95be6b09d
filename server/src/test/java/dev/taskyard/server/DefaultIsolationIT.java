package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code taskyard serve} without a config, as a newcomer starts it (README quick start): run as root, it isolates
 * tasks by default. A task runs as a fresh account (not root, not the server's user), cannot read the server's API
 * token or store, cannot signal the server, and is stopped by the default pids limit; the quick start's task still
 * completes with its result; no account is left afterwards. Needs root: skipped with the reason otherwise, except with
 * {@code CI=true}, where it fails (CI runs as root).
 */
class DefaultIsolationIT
{
    @TempDir
    Path temp;

    @Test
    void serveWithoutAConfigIsolatesTasksWhenRoot()
            throws Exception
    {
        boolean root = "root".equals(System.getProperty("user.name"));
        if ("true".equals(System.getenv("CI"))) {
            assertThat(root).as("CI runs the isolation tests as root").isTrue();
        }
        assumeTrue(root, "the default isolation (fresh accounts, cgroups) needs root");
        Path data = temp.resolve("data");
        long accountsBefore = taskAccounts();
        try (TaskyardServer server = TaskyardServer.startWithRealDefault(data)) {
            String probe = "id -u; cat " + data.resolve("api-token") + "; echo token=$?; ls " + data.resolve("store")
                    + "; echo store=$?; kill -0 " + server.process.pid() + "; echo server=$?";
            String confined = server.submit(command("sh", "-c", probe));
            String bomb =
                    server.submit(command("timeout", "-s", "KILL", "5", "sh", "-c", "b() { b | b & }; b; sleep 60"));
            ObjectNode quickStart = (ObjectNode) TaskyardServer.JSON.readTree(command("sh", "-c",
                    "echo working; echo {\\\"summary\\\":\\\"done\\\"} > result.json; echo done"));
            quickStart.putObject("result").put("path", "result.json");
            String walkthrough = server.submit(quickStart.toString());

            assertThat(await(server, confined).path("status").asText()).isEqualTo("COMPLETED");
            String log = server.get("/v1/tasks/" + confined + "/log").body();
            long uid = Long.parseLong(log.lines().findFirst().orElseThrow().trim());
            assertThat(uid).as("the task's uid (a fresh account from the default uid range)")
                    .isBetween(700_000_000L, 700_099_999L);
            String token = Files.readString(data.resolve("api-token")).trim();
            assertThat(log).doesNotContain(token).contains("token=1", "store=2", "server=1");

            assertThat(await(server, bomb).path("status").asText()).isEqualTo("FAILED");
            assertThat(server.get("/v1/tasks/" + bomb + "/log").body()).containsAnyOf("Cannot fork", "fork");

            JsonNode done = await(server, walkthrough);
            assertThat(done.path("status").asText()).as("%s", done).isEqualTo("COMPLETED");
            assertThat(done.path("result").path("summary").asText()).isEqualTo("done");
        }
        assertThat(taskAccounts()).as("task accounts left").isEqualTo(accountsBefore);
    }

    private static JsonNode await(TaskyardServer server, String id)
            throws Exception
    {
        return server.awaitTerminal(id, Duration.ofSeconds(90));
    }

    private static long taskAccounts()
            throws Exception
    {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().filter(line -> line.startsWith("taskyard-")).count();
    }

    private static String command(String... argv)
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        ArrayNode command = payload.putArray("command");
        for (String argument : argv) {
            command.add(argument);
        }
        return payload.toString();
    }
}
