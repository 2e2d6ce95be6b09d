package dev.taskyard.engine;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * What an {@link EngineProvider} receives to create an engine.
 *
 * @param config the engine's config, already validated against {@link EngineProvider#configSchema()}; the engine
 *        must not modify it
 * @param context the host environment the engine lives in
 */
public record EngineOptions(JsonNode config, EngineContext context)
{
    public EngineOptions
    {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
    }
}
