package dev.taskyard.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.PluginManager;

import static java.util.Objects.requireNonNull;

/**
 * A validated worker config. The document (YAML or JSON) has four sections:
 * <pre>
 * worker:  {workerId, workerGroup, concurrency, pollInterval, leaseDuration, shutdownGrace, hookTimeout, …}
 * engine:  mock                   # the engine's name, as EngineRegistry knows it
 * engines: {mock: {…}}            # optional: each engine's config (the chosen one's is validated)
 * plugins: {env: {…}, success: {}, disabled: [...]}
 * </pre>
 * Validation reports every violation of every section at once, each with its JSON path and the component it belongs
 * to. Immutable and thread-safe.
 */
public final class WorkerConfig
{
    private static final JsonSchema WORKER_SCHEMA = JsonSchema.fromResource(WorkerConfig.class, "worker.schema.json");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final ObjectNode document;
    private final Settings settings;

    private WorkerConfig(ObjectNode document)
    {
        this.document = document;
        this.settings = Settings.bind(document.get("worker"));
    }

    /**
     * Reads and validates a YAML or JSON config file.
     *
     * @throws InvalidConfigException the config is invalid; every violation is listed
     */
    public static WorkerConfig load(Path file, EngineRegistry engines, PluginRegistry plugins)
            throws IOException, InvalidConfigException
    {
        return parse(Files.readString(file, StandardCharsets.UTF_8), engines, plugins);
    }

    /**
     * Parses and validates YAML or JSON text.
     *
     * @throws InvalidConfigException the text is not YAML/JSON, or the config is invalid
     */
    public static WorkerConfig parse(String text, EngineRegistry engines, PluginRegistry plugins)
            throws InvalidConfigException
    {
        JsonNode document;
        try {
            document = YAML.readTree(requireNonNull(text, "text is null"));
        }
        catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidConfigException("worker config",
                    List.of(new Violation("$", "syntax", "config: not valid YAML or JSON: " + e.getOriginalMessage())));
        }
        return of(document == null ? NODES.missingNode() : document, engines, plugins);
    }

    /**
     * Validates a config document.
     *
     * @throws InvalidConfigException the config is invalid; every violation is listed
     */
    public static WorkerConfig of(JsonNode document, EngineRegistry engines, PluginRegistry plugins)
            throws InvalidConfigException
    {
        List<Violation> violations = validate(document, engines, plugins);
        if (!violations.isEmpty()) {
            throw new InvalidConfigException("worker config", violations);
        }
        return new WorkerConfig(((ObjectNode) document).deepCopy());
    }

    /** Every problem of a config document, with paths and components; empty when it is valid. */
    public static List<Violation> validate(JsonNode document, EngineRegistry engines, PluginRegistry plugins)
    {
        List<Violation> violations = new ArrayList<>();
        if (!document.isObject()) {
            violations.add(new Violation("$", "type",
                    "config: must be an object with the sections worker, engine, engines and plugins"));
            return violations;
        }
        document.fieldNames().forEachRemaining(name -> {
            if (!List.of("worker", "engine", "engines", "plugins").contains(name)) {
                violations.add(new Violation("$." + name, "additionalProperties",
                        "config: unknown section; the sections are worker, engine, engines and plugins"));
            }
        });
        JsonNode worker = document.path("worker");
        if (worker.isMissingNode()) {
            violations.add(new Violation("$.worker", "required", "worker: the section is required"));
        }
        else {
            for (Violation violation : WORKER_SCHEMA.validate(worker)) {
                violations.add(violation.at("$.worker", "worker"));
            }
        }
        JsonNode engine = document.path("engine");
        Optional<EngineProvider> provider = Optional.empty();
        if (!engine.isTextual()) {
            violations.add(new Violation("$.engine", "required",
                    "config: the engine's name is required; available: " + names(engines)));
        }
        else {
            provider = engines.provider(engine.asText());
            if (provider.isEmpty()) {
                violations.add(new Violation("$.engine", "enum", "config: no engine named \"" + engine.asText()
                        + "\"; available: " + names(engines)));
            }
        }
        JsonNode engineConfigs = document.path("engines");
        if (!engineConfigs.isMissingNode() && !engineConfigs.isObject()) {
            violations.add(new Violation("$.engines", "type", "config: must be an object of engine configs"));
        }
        if (provider.isPresent()) {
            String name = engine.asText();
            JsonNode config = engineConfigs.path(name);
            for (Violation violation : provider.get().configSchema().validate(config.isMissingNode()
                    ? NODES.objectNode() : config)) {
                violations.add(violation.at("$.engines." + name, "engine \"" + name + "\""));
            }
        }
        JsonNode pluginConfig = document.path("plugins");
        violations.addAll(PluginManager.validateConfig(plugins, pluginConfig.isMissingNode() ? NODES.objectNode()
                : pluginConfig, "$.plugins"));
        return violations;
    }

    /** The schema of the whole config document for these registries, for operators. */
    public static ObjectNode schema(EngineRegistry engines, PluginRegistry plugins)
    {
        ObjectNode schema = NODES.objectNode();
        schema.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        schema.put("title", "taskyard worker config");
        schema.put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        ObjectNode worker = (ObjectNode) WORKER_SCHEMA.document();
        properties.set("worker", worker);
        properties.putObject("engine")
                .set("enum", NODES.arrayNode().addAll(names(engines).stream().map(NODES::textNode).toList()));
        ObjectNode engineConfigs = properties.putObject("engines");
        engineConfigs.put("type", "object");
        ObjectNode engineProperties = engineConfigs.putObject("properties");
        for (String name : names(engines)) {
            ObjectNode engineSchema = (ObjectNode) engines.provider(name).orElseThrow().configSchema().document();
            engineSchema.remove("$schema");
            engineProperties.set(name, engineSchema);
        }
        engineConfigs.put("additionalProperties", false);
        properties.set("plugins", PluginManager.configSchema(plugins));
        schema.set("required", NODES.arrayNode().add("worker").add("engine"));
        schema.put("additionalProperties", false);
        return schema;
    }

    private static List<String> names(EngineRegistry engines)
    {
        return engines.providers().stream().map(EngineRegistry.ProviderInfo::name).toList();
    }

    /** The whole document. */
    public ObjectNode document()
    {
        return document.deepCopy();
    }

    public WorkerIdentity identity()
    {
        return new WorkerIdentity(settings.workerGroup(), settings.workerId());
    }

    public String engineName()
    {
        return document.path("engine").asText();
    }

    /** The chosen engine's config; {@code {}} if the {@code engines} section does not have it. */
    public JsonNode engineConfig()
    {
        JsonNode config = document.path("engines").path(engineName());
        return config.isMissingNode() ? NODES.objectNode() : config.deepCopy();
    }

    /** The {@code plugins} section; {@code {}} if absent. */
    public JsonNode pluginsConfig()
    {
        JsonNode config = document.path("plugins");
        return config.isMissingNode() ? NODES.objectNode() : config.deepCopy();
    }

    public int concurrency()
    {
        return settings.concurrency();
    }

    public Duration pollInterval()
    {
        return settings.pollInterval();
    }

    public Duration leaseDuration()
    {
        return settings.leaseDuration();
    }

    public Duration shutdownGrace()
    {
        return settings.shutdownGrace();
    }

    public Duration hookTimeout()
    {
        return settings.hookTimeout();
    }

    public Duration deadlineGrace()
    {
        return settings.deadlineGrace();
    }

    /** The worker's folder: the configured one, or {@code java.io.tmpdir/taskyard-worker-<id>}. */
    public Path tempFolder()
    {
        return settings.tempFolder()
                .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"), "taskyard-worker-"
                + settings.workerId()));
    }

    public Path artifactsFolder()
    {
        return settings.artifactsFolder().orElseGet(() -> tempFolder().resolve("artifacts"));
    }

    /** Bytes of task log kept at most. */
    public long logCap()
    {
        return settings.logCap();
    }

    /**
     * The {@code worker} section bound once, after validation, with the schema's defaults ({@code worker.schema.json}
     * is the one place they are written).
     */
    private record Settings(String workerGroup, String workerId, int concurrency, Duration pollInterval,
            Duration leaseDuration, Duration shutdownGrace,
                            Duration hookTimeout, Duration deadlineGrace, Optional<Path> tempFolder,
                                    Optional<Path> artifactsFolder, long logCap)
    {
        static Settings bind(JsonNode section)
        {
            ObjectNode worker = WORKER_SCHEMA.withDefaults(section);
            return new Settings(worker.get("workerGroup").asText(), worker.get("workerId").asText(),
                    worker.get("concurrency").asInt(),
                    seconds(worker, "pollInterval"), seconds(worker, "leaseDuration"),
                            seconds(worker, "shutdownGrace"), seconds(worker, "hookTimeout"),
                    seconds(worker, "deadlineGrace"), path(worker, "tempFolder"), path(worker, "artifactsFolder"),
                            worker.get("logCap").asLong());
        }

        private static Duration seconds(JsonNode worker, String key)
        {
            return Duration.ofNanos((long) (worker.get(key).asDouble() * 1e9));
        }

        private static Optional<Path> path(JsonNode worker, String key)
        {
            return worker.has(key) ? Optional.of(Path.of(worker.get(key).asText())) : Optional.empty();
        }
    }
}
