package dev.taskyard.server;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.remote.RemoteEngineProvider;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine contract kit against the remote engine, which runs every task on a real taskyard server (the shaded
 * jar, started once for the class on a loopback port, running the process engine).
 */
class RemoteEngineContractIT
        extends EngineContractTest
{
    /** The remote server: enough concurrency for the kit's concurrent cases, short leases so cancels land fast. */
    static final String REMOTE_CONFIG = """
            {"worker": {"concurrency": 16, "leaseDuration": 1},
             "engine": "process", "engines": {"process": {}},
             "plugins": {"env": {}, "success": {}, "artifacts": {}, "result": {}, "tasklog": {}}}
            """;
    private static final String TEXT = "kit-artifact-text";

    private static Path folder;
    private static TaskyardServer remote;

    @BeforeAll
    static void startRemote()
            throws Exception
    {
        folder = Files.createTempDirectory("taskyard-remote-kit-");
        Path config = folder.resolve("remote.json");
        Files.writeString(config, REMOTE_CONFIG);
        remote = TaskyardServer.start(folder.resolve("data"), "--config", config.toString());
    }

    @AfterAll
    static void stopRemote()
            throws Exception
    {
        if (remote != null) {
            remote.close();
        }
        if (folder != null) {
            try (var paths = Files.walk(folder)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Override
    protected String engineName()
    {
        return RemoteEngineProvider.NAME;
    }

    @Override
    protected String engineConfig()
    {
        return config(8);
    }

    @Override
    protected String engineConfigWithMaxConcurrency(int max)
    {
        return config(max);
    }

    private static String config(int max)
    {
        ObjectNode config = TaskyardServer.JSON.createObjectNode();
        config.put("baseUrl", remote.baseUrl);
        config.put("token", remote.token);
        config.put("maxConcurrency", max);
        config.putObject("poll").put("minIntervalMillis", 20).put("maxIntervalMillis", 200).put("longPollSeconds", 5);
        config.putObject("retry").put("initialBackoffMillis", 20).put("maxBackoffMillis", 200);
        config.put("abortTimeoutSeconds", 30);
        return config.toString();
    }

    @Override
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return switch (behavior) {
            case SUPPORTS_VOLUMES, SUPPORTS_PROXIES, SUPPORTS_SHELLS, SUPPORTS_DISPLAYS -> false;
            default -> super.hasBehavior(behavior);
        };
    }

    @Override
    protected String targetPayload(String target)
    {
        return command("echo", target);
    }

    @Override
    protected String failingTargetPayload(String target)
    {
        return command("sh", "-c", "echo \"$1\"; exit 3", "sh", target);
    }

    @Override
    protected String silentPayload()
    {
        return command("true");
    }

    @Override
    protected String sleepPayload(Duration duration)
    {
        return command("sleep", seconds(duration));
    }

    @Override
    protected String targetThenSleepPayload(String target, Duration duration)
    {
        return command("sh", "-c", "echo \"$1\"; exec sleep \"$2\"", "sh", target, seconds(duration));
    }

    @Override
    protected String lastLineWithoutNewlinePayload(String text)
    {
        return command("printf", "%s", text);
    }

    /** Valid for the remote engine's own schema, refused by the remote server's: a command that is not an array. */
    @Override
    protected String malformedPayload()
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        payload.putObject("remote").put("command", "not-an-array");
        return payload.toString();
    }

    @Override
    protected String printEnvironmentVariablePayload(String name)
    {
        return command("printenv", name);
    }

    @Override
    protected String writeFilesPayload()
    {
        ObjectNode payload = payload("sh", "-c", String.join(" && ",
                "mkdir -p folder/sub/deeper",
                "printf '%s\\n' \"$1\" > folder/hello.txt",
                "printf '%s\\n' \"$1\" > folder/sub/a.txt",
                "printf '%s\\n' \"$1\" > folder/sub/deeper/b.txt"), "sh", TEXT);
        ((ObjectNode) payload.get("remote")).putArray("artifacts").addObject().put("type", "folder").put("path", "folder").put("name", "folder");
        return payload.toString();
    }

    @Override
    protected ArtifactLayout artifactLayout()
    {
        return new ArtifactLayout(TEXT, "folder/hello.txt", "folder/missing.txt", "no-such-folder", "folder",
                Set.of("hello.txt", "sub/a.txt", "sub/deeper/b.txt"), "../outside.txt");
    }

    /** No remote task may still be pending or running once the engine is disposed. */
    @Override
    protected void assertNoLeftovers()
            throws Exception
    {
        List<String> live = remote.listAll().stream().filter(t -> t.endsWith("=PENDING") || t.endsWith("=RUNNING")).toList();
        assertThat(live).as("remote tasks still pending or running").isEmpty();
    }

    private static String command(String... argv)
    {
        return payload(argv).toString();
    }

    private static ObjectNode payload(String... argv)
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        ArrayNode command = payload.putObject("remote").putArray("command");
        for (String argument : argv) {
            command.add(argument);
        }
        return payload;
    }

    private static String seconds(Duration duration)
    {
        return BigDecimal.valueOf(duration.toMillis(), 3).toPlainString();
    }
}
