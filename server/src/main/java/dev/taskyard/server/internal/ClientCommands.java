package dev.taskyard.server.internal;

import java.io.InputStream;
import java.io.PrintWriter;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.worker.WorkerConfig;
import dev.taskyard.worker.WorkerSchemas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The client commands of the CLI: {@code submit}, {@code status}, {@code cancel}, {@code logs} talk to a
 * {@code taskyard serve}; {@code schema} prints a schema locally. Exit codes: 0 on success; with {@code --wait} or
 * {@code --follow}, {@code submit} exits 0 when the task COMPLETED; when it FAILED, with the task's own exit code if it
 * has a non-zero one (as {@code taskyard run} does), else 1; 1 when it was CANCELED; 125 with one line on standard
 * error when the request fails.
 */
public final class ClientCommands
{
    private ClientCommands() {}

    static final int TASK_DID_NOT_COMPLETE = 1;

    private static void print(PrintWriter out, JsonNode node)
            throws Exception
    {
        out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        out.flush();
    }

    private static void copyLog(ApiClient client, String taskId)
            throws Exception
    {
        try (InputStream in = client.stream(client.request("/v1/tasks/" + taskId + "/log").GET().build())) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                System.out.write(buffer, 0, n);
                System.out.flush();
            }
        }
    }

    private static JsonNode awaitEnd(ApiClient client, String taskId)
    {
        while (true) {
            JsonNode task = client.json(client.request("/v1/tasks/" + taskId + "?wait=30").GET().build());
            String status = task.path("status").asText();
            if (status.equals("COMPLETED") || status.equals("FAILED") || status.equals("CANCELED")) {
                return task;
            }
        }
    }

    /** {@code taskyard submit [--wait] [--follow] -- CMD…}. */
    @Command(name = "submit", mixinStandardHelpOptions = true, description = "Submits a task to a taskyard server and prints its id.")
    public static final class Submit
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiClient client;

        @Option(names = "--wait", description = "Wait until the task ends; print its final status; exit with the task's exit code if it FAILED with one, 1 if it did not complete otherwise.")
        boolean waitForEnd;

        @Option(names = "--follow", description = "Stream the task's log to standard output until it ends (implies --wait).")
        boolean follow;

        @Option(names = "--payload", description = "The whole task payload as JSON, instead of a command.")
        String payload;

        @Option(names = "--idempotency-key", description = "Resubmitting with the same key and payload returns the same task.")
        String idempotencyKey;

        @Parameters(paramLabel = "CMD", description = "The command and its arguments (use -- before it).")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call()
                throws Exception
        {
            String body;
            if (payload != null) {
                if (!command.isEmpty()) {
                    throw new IllegalArgumentException("give either --payload or a command, not both");
                }
                body = payload;
            }
            else {
                if (command.isEmpty()) {
                    throw new IllegalArgumentException("no command given: taskyard submit -- CMD [ARG…]");
                }
                ObjectNode node = ApiClient.JSON.createObjectNode();
                ArrayNode argv = node.putArray("command");
                command.forEach(argv::add);
                body = node.toString();
            }
            HttpRequest.Builder request = client.request("/v1/tasks").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            if (idempotencyKey != null) {
                request.header("Idempotency-Key", idempotencyKey);
            }
            JsonNode task = client.json(request.build());
            String taskId = task.path("task_id").asText();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!follow && !waitForEnd) {
                out.println(taskId);
                out.flush();
                return 0;
            }
            err.println("taskyard: task " + taskId + " submitted");
            err.flush();
            if (follow) {
                copyLog(client, taskId);
            }
            JsonNode end = awaitEnd(client, taskId);
            if (follow) {
                err.println("taskyard: task " + taskId + " " + end.path("status").asText());
                err.flush();
            }
            else {
                print(out, end);
            }
            return exitCodeOf(end);
        }

        /** 0 for COMPLETED; the task's non-zero exit code for FAILED, when it has one; else 1. */
        static int exitCodeOf(JsonNode task)
        {
            String status = task.path("status").asText();
            if (status.equals("COMPLETED")) {
                return 0;
            }
            int exitCode = task.path("exit_code").asInt(0);
            return status.equals("FAILED") && exitCode > 0 && exitCode < 256 ? exitCode : TASK_DID_NOT_COMPLETE;
        }
    }

    /** {@code taskyard status ID}. */
    @Command(name = "status", mixinStandardHelpOptions = true, description = "Prints a task's status as JSON.")
    public static final class Status
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiClient client;

        @Option(names = "--wait", paramLabel = "S", description = "Long-poll up to S seconds for a change first.")
        Integer waitSeconds;

        @Parameters(paramLabel = "ID", description = "The task id.")
        String taskId;

        @Override
        public Integer call()
                throws Exception
        {
            String query = waitSeconds == null ? "" : "?wait=" + waitSeconds;
            print(spec.commandLine().getOut(), client.json(client.request("/v1/tasks/" + taskId + query).GET().build()));
            return 0;
        }
    }

    /** {@code taskyard cancel ID}. */
    @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Requests cancellation of a task; prints its status.")
    public static final class Cancel
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiClient client;

        @Parameters(paramLabel = "ID", description = "The task id.")
        String taskId;

        @Override
        public Integer call()
                throws Exception
        {
            print(spec.commandLine().getOut(), client.json(client.request("/v1/tasks/" + taskId + "/cancel").POST(HttpRequest.BodyPublishers.noBody()).build()));
            return 0;
        }
    }

    /** {@code taskyard logs ID}. */
    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Streams a task's log until the task ends.")
    public static final class Logs
            implements Callable<Integer>
    {
        @Mixin
        ApiClient client;

        @Parameters(paramLabel = "ID", description = "The task id.")
        String taskId;

        @Override
        public Integer call()
                throws Exception
        {
            copyLog(client, taskId);
            return 0;
        }
    }

    /** {@code taskyard schema config|payload}. */
    @Command(name = "schema", mixinStandardHelpOptions = true,
            description = "Prints the JSON Schema of the server config, or of the task payloads a config accepts.")
    public static final class Schema
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "KIND", description = "config or payload.")
        String kind;

        @Option(names = "--config", paramLabel = "FILE", description = "For payload: the config whose payload schema to print (default: serve's).")
        Path config;

        @Override
        public Integer call()
                throws Exception
        {
            EngineRegistry engines = EngineRegistry.load();
            PluginRegistry plugins = PluginRegistry.load();
            PrintWriter out = spec.commandLine().getOut();
            switch (kind) {
                case "config" -> WorkerSchemas.write(WorkerSchemas.config(engines, plugins), out);
                case "payload" -> {
                    ObjectNode document = config == null ? ServeCommand.defaultConfig() : ServeCommand.readConfig(config);
                    document.remove("server");
                    Path temp = Files.createTempDirectory("taskyard-schema-");
                    try {
                        ServeCommand.prepareWorkerSection(document, temp, false);
                        WorkerSchemas.write(WorkerSchemas.payload(WorkerConfig.of(document, engines, plugins), engines, plugins), out);
                    }
                    finally {
                        RunCommand.deleteRecursively(temp);
                    }
                }
                default -> throw new IllegalArgumentException("unknown schema \"" + kind + "\": give config or payload");
            }
            out.flush();
            return 0;
        }
    }
}
