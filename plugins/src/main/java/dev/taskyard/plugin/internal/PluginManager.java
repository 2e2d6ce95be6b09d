package dev.taskyard.plugin.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.TaskLog;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginEnvironment;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.TaskPayloadSchema;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.plugin.host.PluginRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Creates the enabled plugins of a worker and drives them for every task.
 *
 * <ul>
 * <li>Config: an object whose keys are plugin names, each mapped to that plugin's config, plus
 *     {@code "disabled": [names]}. A plugin is enabled iff its key is present and it is not disabled. Each plugin's
 *     config is validated against its own schema; every violation is reported with its path and the plugin.</li>
 * <li>Start-up: the enabled plugins are created concurrently; their payload schemas are merged with the engine's
 *     ({@link TaskPayloadSchema}); a key claimed twice stops the start-up with an error naming both claimants.</li>
 * <li>Per task, {@link #prepare} validates the payload, then creates the sandbox builder (if the payload is valid)
 *     and every task plugin in one stage. Task plugins are created even when the payload is invalid (a plugin whose
 *     own part is invalid gets {@link TaskPlugin#NONE}), so logging plugins still run.</li>
 * </ul>
 * Thread-safe: {@link #prepare} is called for many tasks at once. {@link #dispose()} is called once, last.
 */
public final class PluginManager
{
    private static final Logger LOG = LoggerFactory.getLogger(PluginManager.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final HookExecutor executor;
    private final Engine engine;
    private final List<String> names;
    private final List<String> components;
    private final List<Plugin> plugins;
    private final TaskPayloadSchema payloadSchema;

    /**
     * @param registry the available plugins
     * @param config the {@code plugins} section of the worker config
     * @param configPath where {@code config} sits in the worker config, e.g. {@code $.plugins}, for error paths
     * @param engineName the engine's name, for error messages
     * @param engine the worker's engine; its payload schema is merged with the plugins'
     * @param environment what plugins share with the worker
     * @param executor runs the hooks
     */
    public record Options(PluginRegistry registry, JsonNode config, String configPath, String engineName, Engine engine,
                          PluginEnvironment environment, HookExecutor executor)
    {
        public Options
        {
            requireNonNull(registry, "registry is null");
            requireNonNull(config, "config is null");
            requireNonNull(configPath, "configPath is null");
            requireNonNull(engineName, "engineName is null");
            requireNonNull(engine, "engine is null");
            requireNonNull(environment, "environment is null");
            requireNonNull(executor, "executor is null");
        }
    }

    /**
     * The result of {@link #prepare}: always the task plugins (for logging and cleanup), the builder if it could be
     * created, and the error of the stage if any.
     */
    public record Prepared(TaskPlugins plugins, Optional<SandboxBuilder> builder, Optional<EngineException> error)
    {
        public Prepared
        {
            requireNonNull(plugins, "plugins is null");
            requireNonNull(builder, "builder is null");
            requireNonNull(error, "error is null");
        }
    }

    private PluginManager(HookExecutor executor, Engine engine, List<String> names, List<Plugin> plugins,
            TaskPayloadSchema payloadSchema)
    {
        this.executor = executor;
        this.engine = engine;
        this.names = List.copyOf(names);
        this.components = names.stream().map(PluginManager::component).toList();
        this.plugins = List.copyOf(plugins);
        this.payloadSchema = payloadSchema;
    }

    /** The schema of the {@code plugins} config section for the plugins of {@code registry}, for operators. */
    public static ObjectNode configSchema(PluginRegistry registry)
    {
        ObjectNode properties = NODES.objectNode();
        for (String name : registry.names()) {
            ObjectNode schema = (ObjectNode) registry.provider(name).orElseThrow().configSchema().document();
            schema.remove("$schema");
            properties.set(name, schema);
        }
        ObjectNode disabled = properties.putObject(PluginRegistry.DISABLED);
        disabled.put("type", "array").put("uniqueItems", true);
        disabled.putObject("items")
                .set("enum", NODES.arrayNode().addAll(registry.names().stream().map(NODES::textNode).toList()));
        ObjectNode schema = NODES.objectNode();
        schema.put("type", "object");
        schema.set("properties", properties);
        schema.put("additionalProperties", false);
        return schema;
    }

    /**
     * Every problem of a {@code plugins} config section: unknown plugins, a bad {@code disabled} list, and each
     * enabled plugin's violations of its schema, with paths below {@code configPath} and the plugin named.
     */
    public static List<Violation> validateConfig(PluginRegistry registry, JsonNode config, String configPath)
    {
        List<Violation> violations = new ArrayList<>();
        if (!config.isObject()) {
            violations.add(new Violation(configPath, "type", "plugins: must be an object of plugin configs"));
            return violations;
        }
        Set<String> disabled = disabled(registry, config, configPath, violations);
        for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            if (name.equals(PluginRegistry.DISABLED)) {
                continue;
            }
            Optional<PluginProvider> provider = registry.provider(name);
            if (provider.isEmpty()) {
                violations.add(new Violation(configPath + "." + name, "additionalProperties",
                        "unknown plugin \"" + name + "\"; available: " + registry.names()));
                continue;
            }
            if (disabled.contains(name)) {
                continue;
            }
            for (Violation violation : provider.get().configSchema().validate(entry.getValue())) {
                violations.add(new Violation(configPath + "." + name
                        + violation.path().substring(1), violation.keyword(),
                        component(name) + ": " + violation.message()));
            }
        }
        return violations;
    }

    /**
     * Validates the config, creates every enabled plugin concurrently and merges the payload schemas.
     *
     * @throws InvalidConfigException the config is invalid; every violation is listed
     * @throws dev.taskyard.engine.NamingConflictException two components claim one payload key
     * @throws FatalInternalErrorException a plugin could not be created; every failure is listed
     */
    public static PluginManager create(Options options)
            throws EngineException
    {
        List<Violation> violations = validateConfig(options.registry(), options.config(), options.configPath());
        if (!violations.isEmpty()) {
            throw new InvalidConfigException("plugins", violations);
        }
        Set<String> disabled = disabled(options.registry(), options.config(), options.configPath(), new ArrayList<>());
        List<String> names = new ArrayList<>();
        List<HookExecutor.Hook<Plugin>> creations = new ArrayList<>();
        for (String name : options.registry().names()) {
            JsonNode config = options.config().get(name);
            if (config == null || disabled.contains(name)) {
                continue;
            }
            PluginProvider provider = options.registry().provider(name).orElseThrow();
            PluginOptions pluginOptions =
                    new PluginOptions(name, config.deepCopy(), options.engine(), options.environment());
            names.add(name);
            creations.add(new HookExecutor.Hook<>(component(name),
                    () -> requireNonNull(provider.createPlugin(pluginOptions), "createPlugin returned null")));
        }
        List<HookExecutor.Outcome<Plugin>> outcomes = options.executor().run("create", null, creations);
        List<Plugin> plugins = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Throwable> causes = new ArrayList<>();
        for (HookExecutor.Outcome<Plugin> outcome : outcomes) {
            if (outcome.failed()) {
                failures.add(outcome.component() + ": " + outcome.error().getMessage());
                causes.add(outcome.error());
            }
            else {
                plugins.add(outcome.value());
            }
        }
        if (!failures.isEmpty()) {
            disposeQuietly(plugins);
            FatalInternalErrorException error =
                    new FatalInternalErrorException("cannot create plugins: "
                    + String.join("; ", failures), causes.get(0));
            causes.forEach(error::addSuppressed);
            throw error;
        }
        try {
            List<TaskPayloadSchema.Component> schemas = new ArrayList<>();
            schemas.add(new TaskPayloadSchema.Component("engine \"" + options.engineName() + "\"",
                    options.engine().payloadSchema()));
            for (int i = 0; i < plugins.size(); i++) {
                schemas.add(new TaskPayloadSchema.Component(component(names.get(i)), plugins.get(i).payloadSchema()));
            }
            TaskPayloadSchema payloadSchema = TaskPayloadSchema.merge(schemas);
            LOG.info("plugins enabled: {}", names);
            return new PluginManager(options.executor(), options.engine(), names, plugins, payloadSchema);
        }
        catch (EngineException | RuntimeException e) {
            disposeQuietly(plugins);
            throw e;
        }
    }

    /** The names of the enabled plugins, in registry order. */
    public List<String> enabled()
    {
        return names;
    }

    /** The merged payload schema: the engine's part first, then each enabled plugin's. */
    public TaskPayloadSchema payloadSchema()
    {
        return payloadSchema;
    }

    /**
     * The prepare stage of a task run: validates the whole payload, then creates the sandbox builder (only if the
     * payload is valid) and the task plugins in one stage. Never throws for a bad payload or a failing component:
     * the error (by priority, malformed messages merged) is in the result, and the task plugins are always there.
     */
    public Prepared prepare(TaskContext context, JsonNode payload, TaskReporter reporter)
    {
        return prepare(context, payload, reporter, true);
    }

    /**
     * Like {@link #prepare(TaskContext, JsonNode, TaskReporter)}; with {@code createBuilder} false no sandbox builder
     * is created (the run's sandbox already exists: it was recovered), only the task plugins.
     */
    public Prepared prepare(TaskContext context, JsonNode payload, TaskReporter reporter, boolean createBuilder)
    {
        requireNonNull(context, "context is null");
        requireNonNull(reporter, "reporter is null");
        TaskPayloadSchema.Split split = payloadSchema.split(payload);
        int n = plugins.size();
        List<HookExecutor.Hook<Object>> hooks = new ArrayList<>(n + 1);
        boolean withBuilder = createBuilder && split.isValid();
        if (withBuilder) {
            SandboxOptions sandboxOptions = new SandboxOptions(split.part(0), context);
            hooks.add(new HookExecutor.Hook<>(payloadSchema.components().get(0).name(),
                    () -> newSandboxBuilder(sandboxOptions)));
        }
        TaskPlugin[] created = new TaskPlugin[n];
        for (int i = 0; i < n; i++) {
            if (split.invalid()[i + 1]) {
                created[i] = TaskPlugin.NONE;
                continue;
            }
            Plugin plugin = plugins.get(i);
            TaskPluginOptions pluginOptions = new TaskPluginOptions(context, split.part(i + 1), reporter);
            hooks.add(new HookExecutor.Hook<>(components.get(i),
                    () -> requireNonNull(plugin.newTaskPlugin(pluginOptions), "newTaskPlugin returned null")));
        }
        List<HookExecutor.Outcome<Object>> outcomes = executor.run("prepare", context, hooks);
        SandboxBuilder builder = null;
        int index = 0;
        if (withBuilder) {
            builder = (SandboxBuilder) outcomes.get(0).value();
            index = 1;
        }
        for (int i = 0; i < n; i++) {
            if (created[i] == null) {
                HookExecutor.Outcome<Object> outcome = outcomes.get(index++);
                created[i] = outcome.failed() ? TaskPlugin.NONE : (TaskPlugin) outcome.value();
            }
        }
        TaskPlugins taskPlugins = new TaskPlugins(executor, context, components, List.of(created));
        EngineException error = null;
        try {
            if (!split.isValid()) {
                List<HookExecutor.Outcome<?>> all = new ArrayList<>(outcomes);
                all.add(new HookExecutor.Outcome<>("", null, new MalformedPayloadException(split.problems())));
                StageErrors.check("prepare", context, all);
            }
            else {
                StageErrors.check("prepare", context, outcomes);
            }
        }
        catch (EngineException e) {
            error = e;
        }
        return new Prepared(taskPlugins, Optional.ofNullable(builder), Optional.ofNullable(error));
    }

    private SandboxBuilder newSandboxBuilder(SandboxOptions options)
            throws EngineException
    {
        try {
            return requireNonNull(engine.newSandboxBuilder(options), "newSandboxBuilder returned null");
        }
        catch (MaxConcurrencyExceededException e) {
            String incident = Incidents.report(options.context(), "the engine refused a sandbox: " + e.getMessage(), e);
            throw new NonFatalInternalErrorException("the engine runs as many sandboxes as it can (incident id "
                    + incident + ")", e);
        }
    }

    /** The secrets of every plugin ({@link Plugin#secrets()}), which every task log must mask. */
    public Set<String> secrets()
    {
        Set<String> all = new LinkedHashSet<>();
        for (Plugin plugin : plugins) {
            all.addAll(plugin.secrets());
        }
        return Set.copyOf(all);
    }

    /** Wraps a new task log so that it masks {@link #secrets()}; see {@link MaskingTaskLog}. */
    public UnaryOperator<TaskLog> logWrapper()
    {
        Set<String> secrets = secrets();
        return log -> MaskingTaskLog.wrap(log, secrets);
    }

    /** Tells every plugin the worker has been idle for {@code idleFor}. Errors are logged. */
    public void reportIdle(Duration idleFor)
    {
        fanOut("report-idle", plugin -> plugin.reportIdle(idleFor));
    }

    /** Tells every plugin a task ended with a non-fatal internal error. Errors are logged. */
    public void reportNonFatalError()
    {
        fanOut("report-non-fatal-error", Plugin::reportNonFatalError);
    }

    /**
     * Disposes every plugin concurrently.
     *
     * @throws EngineException the most severe error of any plugin
     */
    public void dispose()
            throws EngineException
    {
        List<HookExecutor.Hook<Object>> hooks = new ArrayList<>();
        for (int i = 0; i < plugins.size(); i++) {
            Plugin plugin = plugins.get(i);
            hooks.add(new HookExecutor.Hook<>(components.get(i), () -> {
                plugin.dispose();
                return null;
            }));
        }
        StageErrors.check("dispose", null, executor.run("dispose", null, hooks));
    }

    @FunctionalInterface
    private interface PluginCall
    {
        void call(Plugin plugin)
                throws Exception;
    }

    private void fanOut(String stage, PluginCall call)
    {
        List<HookExecutor.Hook<Object>> hooks = new ArrayList<>(plugins.size());
        for (int i = 0; i < plugins.size(); i++) {
            Plugin plugin = plugins.get(i);
            hooks.add(new HookExecutor.Hook<>(components.get(i), () -> {
                call.call(plugin);
                return null;
            }));
        }
        for (HookExecutor.Outcome<Object> outcome : executor.run(stage, null, hooks)) {
            if (outcome.failed()) {
                Incidents.report(null, outcome.component() + " failed in " + stage, outcome.error());
            }
        }
    }

    private static Set<String> disabled(PluginRegistry registry, JsonNode config, String configPath,
            List<Violation> violations)
    {
        Set<String> disabled = new TreeSet<>();
        JsonNode list = config.get(PluginRegistry.DISABLED);
        if (list == null) {
            return disabled;
        }
        if (!list.isArray()) {
            violations.add(new Violation(configPath + ".disabled", "type",
                    "plugins: must be an array of plugin names"));
            return disabled;
        }
        for (int i = 0; i < list.size(); i++) {
            String name = list.get(i).asText();
            if (!list.get(i).isTextual() || registry.provider(name).isEmpty()) {
                violations.add(new Violation(configPath + ".disabled[" + i + "]", "enum", "plugins: unknown plugin "
                        + list.get(i) + "; available: " + registry.names()));
            }
            disabled.add(name);
        }
        return disabled;
    }

    private static void disposeQuietly(List<Plugin> plugins)
    {
        for (Plugin plugin : plugins) {
            try {
                plugin.dispose();
            }
            catch (Exception e) {
                LOG.warn("disposing a plugin after a failed start-up failed", e);
            }
        }
    }

    static String component(String name)
    {
        return "plugin \"" + name + "\"";
    }

    /** For diagnostics: enabled plugin names mapped to their payload keys. */
    public Map<String, List<String>> payloadKeys()
    {
        Map<String, List<String>> keys = new LinkedHashMap<>();
        for (TaskPayloadSchema.Component component : payloadSchema.components()) {
            List<String> own = new ArrayList<>();
            component.schema().document().path("properties").fieldNames().forEachRemaining(own::add);
            keys.put(component.name(), List.copyOf(own));
        }
        return keys;
    }
}
