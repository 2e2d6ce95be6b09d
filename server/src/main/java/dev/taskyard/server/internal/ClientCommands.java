package dev.taskyard.server.internal;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.client.SubmitRequest;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskStatus;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.server.internal.progress.ProgressDisplay;
import dev.taskyard.server.internal.progress.TaskWatch;
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
 * {@code taskyard serve} through the {@link dev.taskyard.client.TaskyardClient} of a {@link ServerConnection} (with
 * its retries); {@code schema} prints a schema locally. Exit codes: 0 on success; with {@code --wait} or
 * {@code --follow}, {@code submit} exits 0 when the task COMPLETED; when it FAILED, with the task's own exit code if it
 * has a non-zero one (as {@code taskyard run} does), else 1; 1 when it was CANCELED; 125 with one line on standard
 * error when the request fails.
 */
public final class ClientCommands
{
    private ClientCommands() {}

    static final int TASK_DID_NOT_COMPLETE = 1;
    /** How long the client waits for a poll to answer: a long poll of the server is at most 60 s. */
    static final int LONG_POLL_SECONDS = 30;
    /** {@code --wait} and {@code --follow} wait as long as the task runs. */
    private static final Duration NO_DEADLINE = Duration.ofDays(3650);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static void print(PrintWriter out, JsonNode node)
            throws JsonProcessingException
    {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        out.flush();
    }

    /** Copies the task's log to standard output, or into the progress display (which writes it above its bar). */
    private static void copyLog(ServerConnection server, String taskId, ProgressDisplay display)
    {
        OutputStream out = display == null ? new FlushingOutput(System.out) : new OutputStream()
        {
            @Override
            public void write(int b)
            {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length)
            {
                display.log(bytes, offset, length);
            }
        };
        server.call(client -> client.followLog(taskId, out));
    }

    /** The status monitor, long-polled up to {@code waitSeconds} for a change (0: at once). */
    private static JsonNode poll(ServerConnection server, String taskId, int waitSeconds)
    {
        return server.call(client -> client.awaitChange(taskId, Duration.ofSeconds(waitSeconds))).document();
    }

    /**
     * Polls for {@link TaskWatch}: each long poll answers when the task differs from the state seen last (its ETag),
     * so no change between two polls is missed. One watch at a time; {@link #last} may be read from any thread.
     */
    private static final class Watch
            implements TaskWatch.Poll
    {
        private final ServerConnection server;
        private final String taskId;
        private final AtomicReference<Task> last = new AtomicReference<>();

        Watch(ServerConnection server, String taskId)
        {
            this.server = server;
            this.taskId = taskId;
        }

        @Override
        public JsonNode task(int waitSeconds)
        {
            Task known = last.get();
            Task task = server.call(client -> known == null ? client.get(taskId)
                    : client.awaitChange(known, Duration.ofSeconds(waitSeconds)));
            last.set(task);
            return task.document();
        }

        /** The state seen last. */
        Task last()
        {
            return last.get();
        }
    }

    private static Task awaitEnd(ServerConnection server, String taskId)
    {
        return server.call(client -> client.waitFor(taskId, NO_DEADLINE));
    }

    /** How {@code --progress} shows a task: a bar on a terminal, plain lines otherwise (or as asked). */
    enum ProgressOption
    {
        auto, bar, plain;

        ProgressDisplay.Mode mode()
        {
            return this == bar ? ProgressDisplay.Mode.BAR : this == plain ? ProgressDisplay.Mode.PLAIN
                    : ProgressDisplay.Mode.detect();
        }
    }

    /** {@code taskyard submit [--wait] [--follow] -- CMD…}. */
    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = "Submits a task to a taskyard server and prints its id.")
    public static final class Submit
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerConnection server;

        @Option(names = "--wait",
                description = "Wait until the task ends; print its final status; exit with the task's exit code if it "
                        + "FAILED with one, 1 if it did not complete otherwise.")
        boolean waitForEnd;

        @Option(names = "--follow",
                description = "Stream the task's log to standard output until it ends (implies --wait).")
        boolean follow;

        @Mixin
        PayloadOptions payload;

        @Option(names = "--idempotency-key",
                description = "Resubmitting with the same key and payload returns the same task.")
        String idempotencyKey;

        @Option(names = "--progress", paramLabel = "HOW", defaultValue = "auto",
                description = "With --follow: auto (a progress bar with the state below the log when standard output "
                        + "is a terminal, else plain state lines on standard error), bar or plain.")
        ProgressOption progress;

        @Override
        public Integer call()
                throws Exception
        {
            SubmitRequest request = SubmitRequest.of(payload.payload("submit"));
            if (idempotencyKey != null) {
                request = request.withIdempotencyKey(idempotencyKey);
            }
            SubmitRequest submitted = request;
            String taskId = server.call(client -> client.submit(submitted)).taskId();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!follow && !waitForEnd) {
                out.println(taskId);
                out.flush();
                return 0;
            }
            err.println("taskyard: task " + taskId + " submitted");
            err.flush();
            if (!follow) {
                Task end = awaitEnd(server, taskId);
                print(out, end.document());
                return exitCodeOf(end);
            }
            ProgressDisplay.Mode mode = progress.mode();
            ProgressDisplay display = mode == ProgressDisplay.Mode.BAR
                    ? new ProgressDisplay(out, mode, ProgressDisplay.terminalWidth(), Instant::now, "")
                    : new ProgressDisplay(err, mode, ProgressDisplay.terminalWidth(), Instant::now, "taskyard: ");
            Thread watch = TaskWatch.inBackground(new Watch(server, taskId), display, LONG_POLL_SECONDS);
            try {
                copyLog(server, taskId, mode == ProgressDisplay.Mode.BAR ? display : null);
                Task end = awaitEnd(server, taskId);
                display.finish(end.document());
                return exitCodeOf(end);
            }
            finally {
                watch.interrupt();
            }
        }

        /** 0 for COMPLETED; the task's non-zero exit code for FAILED, when it has one; else 1. */
        static int exitCodeOf(Task task)
        {
            if (task.status() == TaskStatus.COMPLETED) {
                return 0;
            }
            int exitCode = task.exitCode().orElse(0);
            return task.status() == TaskStatus.FAILED && exitCode > 0 && exitCode < 256 ? exitCode
                    : TASK_DID_NOT_COMPLETE;
        }
    }

    /** {@code taskyard status [--watch] ID}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Prints a task's status as JSON, or watches it until it ends.")
    public static final class Status
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerConnection server;

        @Option(names = "--wait", paramLabel = "S", description = "Long-poll up to S seconds for a change first.")
        Integer waitSeconds;

        @Option(names = "--watch",
                description = "Show the state and progress until the task ends (a progress bar on a terminal, a plain "
                        + "line per change otherwise); exit like submit --wait.")
        boolean watch;

        @Option(names = "--progress", paramLabel = "HOW", defaultValue = "auto",
                description = "With --watch: auto, bar or plain.")
        ProgressOption progress;

        @Parameters(paramLabel = "ID", description = "The task id.")
        String taskId;

        @Override
        public Integer call()
                throws Exception
        {
            if (watch) {
                ProgressDisplay display = new ProgressDisplay(spec.commandLine().getOut(), progress.mode(),
                        ProgressDisplay.terminalWidth(), Instant::now, "");
                Watch watching = new Watch(server, taskId);
                TaskWatch.untilEnd(watching, display, LONG_POLL_SECONDS);
                Task end = watching.last();
                display.finish(end.document());
                return Submit.exitCodeOf(end);
            }
            if (waitSeconds != null && waitSeconds < 0) {
                throw new IllegalArgumentException("--wait must not be negative");
            }
            print(spec.commandLine().getOut(), poll(server, taskId, waitSeconds == null ? 0 : waitSeconds));
            return 0;
        }
    }

    /** {@code taskyard cancel ID}. */
    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Requests cancellation of a task; prints its status.")
    public static final class Cancel
            implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerConnection server;

        @Parameters(paramLabel = "ID", description = "The task id.")
        String taskId;

        @Override
        public Integer call()
                throws Exception
        {
            print(spec.commandLine().getOut(), server.call(client -> client.cancel(taskId)).document());
            return 0;
        }
    }

    /** {@code taskyard logs ID}. */
    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Streams a task's log until the task ends.")
    public static final class Logs
            implements Callable<Integer>
    {
        @Mixin
        ServerConnection server;

        @Parameters(paramLabel = "ID", description = "The task id.")
        String taskId;

        @Override
        public Integer call()
        {
            copyLog(server, taskId, null);
            return 0;
        }
    }

    /** Standard output for task log bytes: written through and flushed at once, never closed. */
    private static final class FlushingOutput
            extends OutputStream
    {
        private final PrintStream out;

        FlushingOutput(PrintStream out)
        {
            this.out = out;
        }

        @Override
        public void write(int b)
        {
            out.write(b);
            out.flush();
        }

        @Override
        public void write(byte[] bytes, int offset, int length)
        {
            out.write(bytes, offset, length);
            out.flush();
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

        @Option(names = "--config", paramLabel = "FILE",
                description = "For payload: the config whose payload schema to print (default: serve's).")
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
                    ObjectNode document = config == null ? ServeCommand.defaultConfig()
                            : ServeCommand.readConfig(config);
                    document.remove("server");
                    Path temp = Files.createTempDirectory("taskyard-schema-");
                    try {
                        ServeCommand.prepareWorkerSection(document, temp, false);
                        WorkerSchemas.write(WorkerSchemas.payload(WorkerConfig.of(document, engines, plugins),
                                engines, plugins), out);
                    }
                    finally {
                        RunCommand.deleteRecursively(temp);
                    }
                }
                default -> throw new IllegalArgumentException("unknown schema \"" + kind
                        + "\": give config or payload");
            }
            out.flush();
            return 0;
        }
    }
}
