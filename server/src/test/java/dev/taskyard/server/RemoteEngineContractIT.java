package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.remote.RemoteEngineProvider;
import dev.taskyard.engine.testkit.CommandEngineContractTest;
import dev.taskyard.engine.testkit.EngineBehavior;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine contract kit against the remote engine, which runs every task on a real taskyard server (the shaded
 * jar, started once for the class on a loopback port, running the process engine), with {@code "recovery": true}: the
 * kit's recovery rules run positively (a fresh engine re-attaches to the remote task of a handle).
 */
class RemoteEngineContractIT
        extends CommandEngineContractTest
{
    /** The remote server: enough concurrency for the kit's concurrent cases, short leases so cancels land fast. */
    static final String REMOTE_CONFIG = """
            {"worker": {"concurrency": 16, "leaseDuration": 1},
             "engine": "process", "engines": {"process": {}},
             "plugins": {"env": {}, "success": {}, "artifacts": {}, "result": {}, "tasklog": {}}}
            """;

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
            MoreFiles.deleteRecursively(folder);
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
        config.put("recovery", true);
        return config.toString();
    }

    @Override
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return switch (behavior) {
            case SUPPORTS_VOLUMES, SUPPORTS_PROXIES, SUPPORTS_SHELLS, SUPPORTS_DISPLAYS -> false;
            case SUPPORTS_RECOVERY -> true;
            default -> super.hasBehavior(behavior);
        };
    }

    @Override
    protected String recoveryPayload(String first, Duration duration, String second)
    {
        return commandPayload(List.of("/bin/sh", "-c", "echo " + first + "; sleep " + duration.toMillis() / 1000.0
                + "; echo " + second));
    }

    @Override
    protected String commandPayload(List<String> argv)
    {
        return payload(argv).toString();
    }

    /** The remote keeps only the files its payload declares: the folder, under the same name. */
    @Override
    protected String writeFilesPayload(List<String> argv)
    {
        ObjectNode payload = payload(argv);
        ((ObjectNode) payload.get("remote")).putArray("artifacts").addObject().put("type", "folder")
                .put("path", artifactFolder()).put("name", artifactFolder());
        return payload.toString();
    }

    @Override
    protected String invalidArtifactPath()
    {
        return "../outside.txt";
    }

    /** Valid for the remote engine's own schema, refused by the remote server's: a command that is not an array. */
    @Override
    protected String malformedPayload()
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        payload.putObject("remote").put("command", "not-an-array");
        return payload.toString();
    }

    /** No remote task may still be pending or running once the engine is disposed. */
    @Override
    protected void assertNoLeftovers()
            throws Exception
    {
        List<String> live = remote.listAll().stream()
                .filter(t -> t.endsWith("=PENDING") || t.endsWith("=RUNNING")).toList();
        assertThat(live).as("remote tasks still pending or running").isEmpty();
    }

    private static ObjectNode payload(List<String> argv)
    {
        ObjectNode payload = TaskyardServer.JSON.createObjectNode();
        ArrayNode command = payload.putObject("remote").putArray("command");
        argv.forEach(command::add);
        return payload;
    }
}
