package dev.taskyard.server.internal;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.server.internal.http.Actions;
import dev.taskyard.server.internal.http.ApiServer;
import dev.taskyard.store.TaskStore;
import dev.taskyard.worker.Worker;
import dev.taskyard.worker.WorkerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code taskyard serve}: the task store in the data folder, a worker claiming from it, and the HTTP API. Prints
 * where it listens and where the token file is; stops gracefully on SIGTERM/SIGINT (no new requests or claims,
 * running tasks get the worker's grace period, those still running are handed back to the store as PENDING, then the
 * store is closed) and then exits 0.
 *
 * <p>The config file is a worker config (sections {@code worker}, {@code engine}, {@code engines}, {@code plugins})
 * plus an optional {@code server} section: {@code tokens} (list), {@code tokenFile}, {@code maxBodyBytes},
 * {@code maxPending}, {@code maxAttempts}, {@code maxStreams}; an optional {@code store} section (SQLite in the data
 * folder by default, or PostgreSQL shared by several servers: see {@link StoreFactory}); and an optional
 * {@code actions} section, the named actions of {@code POST /v1/actions/{action}} (see {@link Actions#parse}),
 * checked before anything starts. Without a config: the process engine, the built-in plugins, concurrency 2.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Runs the task API server with a worker and a durable store.")
public final class ServeCommand
        implements Callable<Integer>
{
    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", description = "Worker and server config (YAML or JSON).")
    Path config;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "taskyard-data",
            description = "Data folder (default: ./${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080",
            description = "Port to bind; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call()
            throws Exception
    {
        PrintWriter out = spec.commandLine().getOut();
        if (port < 0 || port > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Invalid value for option '--port': "
                    + port + " is not a port (0 to 65535)");
        }
        Path dataFolder = data.toAbsolutePath();
        Files.createDirectories(dataFolder);
        ObjectNode document = config == null ? defaultConfig() : readConfig(config);
        ServerSettings server;
        JsonNode storeSection = document.remove("store");
        try {
            server = ServerSettings.of(document.remove("server"));
            StoreFactory.validate(storeSection);
        }
        catch (InvalidConfigException e) {
            throw new IllegalArgumentException("invalid config: " + e.getMessage(), e);
        }
        Actions actions;
        try {
            actions = Actions.parse(document.remove("actions"));
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid config: " + e.getMessage(), e);
        }
        prepareWorkerSection(document, dataFolder, true);
        EngineRegistry engines = EngineRegistry.load();
        if (storeSection == null || !storeSection.path("type").asText("sqlite").equals("postgresql")) {
            ownerOnly(dataFolder.resolve("store"));
        }
        TaskStore store;
        try {
            store = StoreFactory.open(storeSection, server, dataFolder);
        }
        catch (InvalidConfigException e) {
            throw new IllegalArgumentException("invalid config: " + e.getMessage(), e);
        }
        PluginRegistry plugins = PluginRegistry.load().register(new StoreLogPluginProvider(store));
        WorkerConfig workerConfig;
        try {
            workerConfig = WorkerConfig.of(document, engines, plugins);
        }
        catch (InvalidConfigException e) {
            store.close();
            throw new IllegalArgumentException("invalid config: " + e.getMessage(), e);
        }
        Worker worker = Worker.create(workerConfig, engines, plugins, new RequeueOnShutdownQueue(store), store);
        JsonSchema payloadSchema = JsonSchema.of(worker.payloadSchema());
        Tokens tokens = Tokens.resolve(server.tokens(), server.tokenFile().orElse(null), dataFolder);
        ApiServer api = new ApiServer(new ApiServer.Settings(host, port, tokens.tokens(), server.maxBodyBytes(),
                server.maxStreams(), Duration.ofMillis(100)), store, payloadSchema, actions);
        worker.start();
        try {
            api.start();
        }
        catch (Exception e) {
            worker.stopNow("the HTTP server did not start");
            worker.awaitTermination(Duration.ofSeconds(30));
            store.close();
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        GracefulStop stop = new GracefulStop(() -> {
            LOG.info("stopping: no new requests or claims; running tasks get {}", workerConfig.shutdownGrace());
            try {
                api.stop();
            }
            catch (Exception e) {
                LOG.warn("stopping the HTTP server failed: {}", e.toString());
            }
            worker.stopGracefully("the server is stopping");
            try {
                worker.awaitTermination(workerConfig.shutdownGrace().plusSeconds(10));
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            store.close();
        });
        // SIGTERM/SIGINT stop the server from this thread, which then returns 0; the hook covers other ways out
        Runtime.getRuntime().addShutdownHook(new Thread(stop::run, "taskyard-shutdown"));
        trap("TERM", stopRequested);
        trap("INT", stopRequested);
        out.println("taskyard: listening on http://" + api.address().getHostString() + ":" + api.address().getPort());
        out.println("taskyard: web console at http://" + api.address().getHostString() + ":"
                + api.address().getPort() + "/ui/");
        out.println("taskyard: data in " + dataFolder);
        if (tokens.file() != null) {
            out.println("taskyard: bearer token "
                    + (tokens.generated() ? "generated in " : "read from ") + tokens.file());
        }
        else {
            out.println("taskyard: bearer tokens from the config");
        }
        out.flush();
        stopRequested.await();
        stop.run();
        LOG.info("stopped");
        return 0;
    }

    /** The stop sequence, run once: by the thread of {@code serve} after a signal, or by the shutdown hook. */
    private static final class GracefulStop
    {
        private final Runnable steps;
        private boolean done;

        GracefulStop(Runnable steps)
        {
            this.steps = steps;
        }

        /** Runs the steps unless they ran already; a second caller waits until the first one has finished them. */
        synchronized void run()
        {
            if (!done) {
                done = true;
                steps.run();
            }
        }
    }

    /**
     * Makes signal {@code name} count down {@code stopRequested} instead of exiting the JVM (which would exit with
     * 128 + the signal number); where signals cannot be handled, the shutdown hook stops the server as before.
     */
    @SuppressWarnings("sunapi")
    private static void trap(String name, CountDownLatch stopRequested)
    {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                LOG.info("SIG{} received", name);
                stopRequested.countDown();
            });
        }
        catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.debug("cannot handle SIG{}: {}", name, e.toString());
        }
    }

    /**
     * Creates {@code folder} if missing and makes it the server's alone (mode 700): the store holds every task's
     * payload, log and artifacts, and the process engine's tasks run on this host, as other accounts.
     */
    private static void ownerOnly(Path folder)
            throws java.io.IOException
    {
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    static ObjectNode readConfig(Path file)
            throws Exception
    {
        JsonNode node = new YAMLMapper().readTree(Files.readString(file));
        if (!(node instanceof ObjectNode object)) {
            throw new IllegalArgumentException("invalid config " + file + ": must be a YAML or JSON object");
        }
        return object;
    }

    /**
     * The config without a file: process engine, built-in plugins, concurrency 2. Tasks are isolated as far as the
     * host allows ({@code runAs: auto}, {@code cgroups: auto}): run as root, each task gets a fresh account and a
     * cgroup with the engine's default limits; otherwise they run as the server's user and the engine logs which
     * protections are unavailable. Public for the server's tests; a new document on every call.
     */
    public static ObjectNode defaultConfig()
    {
        ObjectNode document = NODES.objectNode();
        document.putObject("worker").put("workerId", "serve").put("concurrency", 2);
        document.put("engine", "process");
        document.putObject("engines").putObject("process").put("runAs", "auto").put("cgroups", "auto");
        ObjectNode plugins = document.putObject("plugins");
        plugins.putObject("env");
        plugins.putObject("success");
        plugins.putObject("artifacts");
        plugins.putObject("result");
        plugins.putObject("progress").put("pollInterval", 0.2);
        plugins.putObject("tasklog");
        return document;
    }

    /**
     * Fills in the worker defaults of serve (folder in the data folder, lease, grace) and, if asked, the storelog
     * plugin.
     */
    static void prepareWorkerSection(ObjectNode document, Path dataFolder, boolean withStoreLog)
    {
        JsonNode workerNode = document.path("worker");
        if (workerNode.isObject()) {
            ObjectNode worker = (ObjectNode) workerNode;
            if (!worker.has("workerId")) {
                worker.put("workerId", "serve");
            }
            if (!worker.has("tempFolder")) {
                worker.put("tempFolder", dataFolder.resolve("worker").toString());
            }
            if (!worker.has("leaseDuration")) {
                worker.put("leaseDuration", 10);
            }
            if (!worker.has("shutdownGrace")) {
                worker.put("shutdownGrace", 10);
            }
        }
        JsonNode plugins = document.path("plugins");
        if (!withStoreLog) {
            return;
        }
        if (plugins.isObject() && !plugins.has(StoreLogPluginProvider.NAME)) {
            ((ObjectNode) plugins).putObject(StoreLogPluginProvider.NAME);
        }
        else if (plugins.isMissingNode()) {
            document.putObject("plugins").putObject(StoreLogPluginProvider.NAME);
        }
    }
}
