package dev.taskyard.server;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * Real {@code taskyard serve} nodes sharing one schema of the test PostgreSQL (from {@code TASKYARD_TEST_PG_URL},
 * {@code _USER}, {@code _PASSWORD}; the cluster's control script from {@code TASKYARD_TEST_PG_CTL}; see
 * {@code .ci/start-postgres}). Without them the calling test is skipped with the reason, and with {@code CI=true} it
 * fails instead. {@link #close()} drops the schema. Not thread-safe (one per test).
 */
final class PostgresNodes
        implements AutoCloseable
{
    final String url;
    final String user;
    final String password;
    final String schema;
    private final Path folder;

    private PostgresNodes(String url, String user, String password, String schema, Path folder)
    {
        this.url = url;
        this.user = user;
        this.password = password;
        this.schema = schema;
        this.folder = folder;
    }

    /** The test database with a fresh schema named after {@code owner}; skips (fails with CI=true) without one. */
    static PostgresNodes require(String owner, Path folder)
    {
        String url = System.getenv("TASKYARD_TEST_PG_URL");
        if (url == null || url.isBlank()) {
            skipOrFail("TASKYARD_TEST_PG_URL is not set: no PostgreSQL for the multi-node tests (eval \"$(bash "
                    + ".ci/start-postgres)\")");
        }
        String user = System.getenv().getOrDefault("TASKYARD_TEST_PG_USER", "postgres");
        String password = System.getenv().getOrDefault("TASKYARD_TEST_PG_PASSWORD", "");
        return new PostgresNodes(url, user, password, "t_" + owner + "_" + ProcessHandle.current().pid(), folder);
    }

    private static void skipOrFail(String reason)
    {
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new IllegalStateException(reason + "; with CI=true it must run");
        }
        Assumptions.abort(reason);
    }

    /** Writes the config of node {@code node}: the mock engine, the artifacts plugin, the shared store. */
    Path config(int node, String worker)
            throws Exception
    {
        Path passwordFile = folder.resolve("pg-password");
        Files.writeString(passwordFile, password + "\n");
        Path config = folder.resolve("node-" + node + ".yaml");
        Files.writeString(config, """
                worker: {workerId: node-%d, %s}
                engine: mock
                engines: {mock: {}}
                plugins: {artifacts: {}}
                server: {maxPending: 100000}
                store: {type: postgresql, url: "%s", user: "%s", passwordFile: "%s", schema: %s, poolSize: 8}
                """.formatted(node, worker, url, user, passwordFile, schema));
        return config;
    }

    /**
     * Starts node {@code node} on {@code port} (0: a free one) with {@code worker} as the rest of its worker section,
     * logging at INFO (tests read the worker's lines).
     */
    TaskyardServer start(int node, int port, String worker)
            throws Exception
    {
        return TaskyardServer.startOnPort(folder.resolve("data-" + node), port,
                Map.of("TASKYARD_LOG_LEVEL", "INFO"), "--config", config(node, worker).toString());
    }

    /** A new connection to the test database (the caller closes it). */
    Connection connect()
            throws SQLException
    {
        return DriverManager.getConnection(url, user, password);
    }

    /**
     * Runs the cluster's control script ({@code stop} or {@code start}); skips (fails with CI=true) without one.
     *
     * @throws AssertionError the script failed
     */
    static void cluster(String command)
            throws Exception
    {
        String ctl = System.getenv("TASKYARD_TEST_PG_CTL");
        if (ctl == null || ctl.isBlank()) {
            skipOrFail("TASKYARD_TEST_PG_CTL is not set: cannot stop and start the test cluster");
        }
        Process process = new ProcessBuilder(ctl, command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new AssertionError(ctl + " " + command + " failed: " + output);
        }
    }

    /** Submits {@code payload} through {@code node}, with an {@code Idempotency-Key} unless {@code key} is null. */
    static HttpResponse<String> submit(TaskyardServer node, String payload, String key)
            throws Exception
    {
        HttpRequest.Builder request = node.request("/v1/tasks").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(payload));
        if (key != null) {
            request.header("Idempotency-Key", key);
        }
        return node.send(request.build());
    }

    /** The id of the task a submit answered with (202 created, 200 the earlier one of its idempotency key). */
    static String taskId(HttpResponse<String> response)
            throws Exception
    {
        if (response.statusCode() != 202 && response.statusCode() != 200) {
            throw new AssertionError("submit answered " + response.statusCode() + ": " + response.body());
        }
        return TaskyardServer.JSON.readTree(response.body()).path("task_id").asText();
    }

    /** Drops the schema. */
    @Override
    public void close()
            throws SQLException
    {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
