package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process engine's protections through the real jar ({@code taskyard serve} with fresh accounts, cgroups and
 * bubblewrap required, and the secrets plugin): a task can neither read the server's token or store nor signal the
 * server nor write outside its work dir (its /tmp is private) nor reach the network; a fork bomb is stopped by the pids
 * limit while the server keeps answering; a memory hog is reported out of memory in its log and in its status
 * resource ({@code error.detail}); a secret printed in two writes is masked in the stored log. Needs root (CI runs as
 * root; never skipped).
 */
class SandboxIT
{
    private static final String SECRET = "s3cr3t-deploy-token";

    @TempDir
    Path temp;

    @Test
    void tasksAreConfinedAndSecretsMasked()
            throws Exception
    {
        Path config = temp.resolve("taskyard.yaml");
        Files.writeString(config, "worker: {concurrency: 2}\nengine: process\n"
                + "engines: {process: {runAs: fresh, cgroups: required, bubblewrap: required, defaultPids: 64, "
                        + "maxPids: 128}}\n"
                + "plugins: {env: {}, success: {}, secrets: {variables: {DEPLOY_TOKEN: " + SECRET + "}}}\n");
        Path data = temp.resolve("data");
        long accountsBefore = taskAccounts();
        try (TaskyardServer server = TaskyardServer.start(data, "--config", config.toString())) {
            long serverPid = server.process.pid();
            String port = server.baseUrl.replaceAll(".*:(\\d+)$", "$1");
            String probe = "cat " + data.resolve("api-token") + "; echo token=$?; ls "
                    + data.resolve("store") + "; echo store=$?; "
                    + "kill -0 " + serverPid + "; echo server=$?; echo planted > " + data.resolve("planted")
                            + "; echo write=$?; echo ok > /tmp/taskyard-sandbox-it; echo tmp=$?; (exec "
                            + "3<>/dev/tcp/127.0.0.1/" + port + ") && echo network=open || echo network=closed";
            String confined = server.submit(command("bash", "-c", probe));

            String bomb = server.submit("{\"command\":[\"timeout\",\"-s\",\"KILL\",\"5\",\"sh\",\"-c\",\"b() { b | b "
                    + "& }; b; sleep 60\"],\"pids\":32}");
            String hog = server.submit("{\"command\":[\"tail\",\"/dev/zero\"],\"memoryMiB\":32}");
            String secret = server.submit(command("sh", "-c",
                    "printf 'token: s3cr3t-de'; sleep 0.5; printf 'ploy-token\\n'; echo \"env: $DEPLOY_TOKEN\""));

            assertThat(status(server, confined)).isEqualTo("COMPLETED");
            String confinedLog = server.get("/v1/tasks/" + confined + "/log").body();
            String token = Files.readString(data.resolve("api-token")).trim();
            assertThat(confinedLog).doesNotContain(token)
                    .contains("token=1", "store=2", "server=1", "write=1", "tmp=0", "network=closed");
            assertThat(data.resolve("planted")).as("written outside the work dir").doesNotExist();

            // the server keeps answering while the bomb runs into its pids limit
            assertThat(server.get("/v1/tasks/" + bomb).statusCode()).isEqualTo(200);
            assertThat(status(server, bomb)).isEqualTo("FAILED");
            assertThat(server.get("/v1/tasks/" + bomb + "/log").body()).containsAnyOf("Cannot fork", "fork");

            assertThat(status(server, hog)).isEqualTo("FAILED");
            assertThat(server.get("/v1/tasks/" + hog + "/log").body())
                    .contains("[taskyard] the task ran out of memory");
            // the status resource says why: the OOM kill, not an exit code (the kernel's SIGKILL has none)
            JsonNode hogStatus = TaskyardServer.JSON.readTree(server.get("/v1/tasks/" + hog).body());
            assertThat(hogStatus.path("error").path("reason").asText()).isEqualTo("out-of-memory");
            assertThat(hogStatus.path("error").path("title").asText()).isEqualTo("The task ran out of memory");
            assertThat(hogStatus.path("error").path("detail").asText())
                    .contains("the task ran out of memory: the kernel killed it for exceeding its memory limit");
            assertThat(hogStatus.has("exit_code")).as("exit_code of %s", hogStatus).isFalse();

            assertThat(status(server, secret)).isEqualTo("COMPLETED");
            String secretLog = server.get("/v1/tasks/" + secret + "/log").body();
            assertThat(secretLog).doesNotContain("s3cr3t").contains("token: ***\n", "env: ***\n");
        }
        assertThat(taskAccounts()).as("task accounts left").isEqualTo(accountsBefore);
        assertThat(Path.of("/tmp/taskyard-sandbox-it")).as("the task's /tmp is private").doesNotExist();
    }

    private static long taskAccounts()
            throws Exception
    {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().filter(line -> line.startsWith("taskyard-")).count();
    }

    private static String status(TaskyardServer server, String id)
            throws Exception
    {
        JsonNode task = server.awaitTerminal(id, Duration.ofSeconds(90));
        return task.path("status").asText();
    }

    private static String command(String... argv)
    {
        com.fasterxml.jackson.databind.node.ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode command = payload.putArray("command");
        for (String argument : argv) {
            command.add(argument);
        }
        return payload.toString();
    }
}
