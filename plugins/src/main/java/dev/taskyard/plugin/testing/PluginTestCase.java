package dev.taskyard.plugin.testing;

import java.util.Optional;

import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.plugin.host.PluginRegistry;

import static java.util.Objects.requireNonNull;

/**
 * One run of one plugin for {@link PluginHarness}. Immutable; build it with {@link #of(String)} and the
 * {@code with…} methods.
 *
 * @param plugin the plugin's name, as registered
 * @param config the plugin's config as JSON; validated against its schema like a worker does
 * @param payload the whole task payload as JSON: the engine's keys (for the mock:
 *        {@code delay, function, argument}) plus the plugin's
 * @param taskId the task id of the run
 * @param runId the run id
 * @param engine the engine's name
 * @param engineConfig the engine's config as JSON
 * @param engines where the engine comes from; empty for {@link EngineRegistry#load()}
 * @param plugins where the plugin comes from; empty for {@link PluginRegistry#load()}
 */
public record PluginTestCase(String plugin, String config, String payload, String taskId, String runId,
        String engine, String engineConfig,
                             Optional<EngineRegistry> engines, Optional<PluginRegistry> plugins)
{
    public PluginTestCase
    {
        requireNonNull(plugin, "plugin is null");
        requireNonNull(config, "config is null");
        requireNonNull(payload, "payload is null");
        requireNonNull(taskId, "taskId is null");
        requireNonNull(runId, "runId is null");
        requireNonNull(engine, "engine is null");
        requireNonNull(engineConfig, "engineConfig is null");
        requireNonNull(engines, "engines is null");
        requireNonNull(plugins, "plugins is null");
    }

    /** A case for {@code plugin} with config {@code {}} and a mock payload that succeeds at once. */
    public static PluginTestCase of(String plugin)
    {
        return new PluginTestCase(plugin, "{}", "{\"delay\":0,\"function\":\"true\",\"argument\":\"\"}",
                "task-1", "0", "mock", "{}", Optional.empty(), Optional.empty());
    }

    public PluginTestCase withConfig(String json)
    {
        return new PluginTestCase(plugin, json, payload, taskId, runId, engine, engineConfig, engines, plugins);
    }

    public PluginTestCase withPayload(String json)
    {
        return new PluginTestCase(plugin, config, json, taskId, runId, engine, engineConfig, engines, plugins);
    }

    public PluginTestCase withIds(String taskId, String runId)
    {
        return new PluginTestCase(plugin, config, payload, taskId, runId, engine, engineConfig, engines, plugins);
    }

    public PluginTestCase withEngine(EngineRegistry registry, String name, String configJson)
    {
        return new PluginTestCase(plugin, config, payload, taskId, runId, name, configJson,
                Optional.of(registry), plugins);
    }

    public PluginTestCase withPlugins(PluginRegistry registry)
    {
        return new PluginTestCase(plugin, config, payload, taskId, runId, engine, engineConfig,
                engines, Optional.of(registry));
    }
}
