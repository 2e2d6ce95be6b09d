package dev.taskyard.plugin;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.schema.JsonSchema;

/**
 * Creates plugins of one kind. Providers are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.taskyard.plugin.PluginProvider}; {@code dev.taskyard.plugin.host.PluginRegistry} does
 * the discovery.
 *
 * <p>A plugin is enabled when its {@linkplain #name() name} is a key of the worker's {@code plugins} config (and is
 * not listed in {@code plugins.disabled}); a plugin without settings is enabled with {@code {}}.
 *
 * <p>Implementations must be stateless and thread-safe, with a public no-argument constructor.
 */
public interface PluginProvider
{
    /** The plugin's unique name, e.g. {@code env}: {@code [a-z][a-z0-9-]*}, never {@code disabled}. */
    String name();

    /**
     * The JSON Schema (draft 2020-12) of the plugin's config. The worker validates the config against it before
     * {@link #createPlugin(PluginOptions)} is called. Defaults to an object without properties.
     */
    default JsonSchema configSchema()
    {
        return JsonSchema.emptyObject();
    }

    /**
     * Creates the worker-wide plugin. Called once per worker, concurrently with the other enabled plugins, with a
     * config already valid against {@link #configSchema()}.
     *
     * @throws EngineException any error stops the worker's start-up; it is reported with the plugin's name
     */
    Plugin createPlugin(PluginOptions options)
            throws EngineException;
}
