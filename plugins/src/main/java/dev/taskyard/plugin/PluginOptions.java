package dev.taskyard.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.Engine;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link PluginProvider} receives to create a plugin.
 *
 * @param name the plugin's name, as configured
 * @param config the plugin's config, valid against {@link PluginProvider#configSchema()}; must not be modified
 * @param engine the worker's engine, e.g. for {@link Engine#newVolume}; the worker owns and disposes it
 * @param environment what the worker shares with its plugins
 */
public record PluginOptions(String name, JsonNode config, Engine engine, PluginEnvironment environment)
{
    public PluginOptions
    {
        requireNonNull(name, "name is null");
        requireNonNull(config, "config is null");
        requireNonNull(engine, "engine is null");
        requireNonNull(environment, "environment is null");
    }
}
