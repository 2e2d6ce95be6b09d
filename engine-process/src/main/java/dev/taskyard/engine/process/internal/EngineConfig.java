package dev.taskyard.engine.process.internal;

import java.nio.file.Path;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.InvalidConfigException;

import static java.util.Objects.requireNonNull;

/**
 * The process engine's config (see {@code config.schema.json}), immutable.
 *
 * @param rootFolder where task work dirs go; empty for the default, a folder under the engine's temp folder
 * @param maxConcurrency the most live sandboxes, {@code 0} for no limit
 * @param keepWorkDirs whether work dirs survive their task (for debugging)
 * @param recovery whether tasks run under a supervisor that lets them outlive the JVM and be recovered (without
 *        isolation only)
 * @param defaultPath the {@code PATH} of tasks that do not set their own
 * @param isolation who tasks run as, their limits and their namespaces
 * @param spawn how processes are started (see {@link Spawner})
 */
public record EngineConfig(Optional<Path> rootFolder, int maxConcurrency, boolean keepWorkDirs, String defaultPath,
        IsolationConfig isolation, boolean recovery, Spawner.Mode spawn)
{
    public static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

    public EngineConfig
    {
        requireNonNull(rootFolder, "rootFolder is null");
        requireNonNull(defaultPath, "defaultPath is null");
        requireNonNull(isolation, "isolation is null");
        requireNonNull(spawn, "spawn is null");
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException("maxConcurrency is negative: " + maxConcurrency);
        }
    }

    /**
     * Reads a config that has been validated against the schema; absent keys take their defaults.
     *
     * @throws InvalidConfigException what the schema cannot say: a default limit above its maximum, runAs user
     *         without a user
     */
    public static EngineConfig from(JsonNode config)
            throws InvalidConfigException
    {
        requireNonNull(config, "config is null");
        JsonNode root = config.path("rootFolder");
        return new EngineConfig(
                root.isTextual() ? Optional.of(Path.of(root.asText())) : Optional.empty(),
                config.path("maxConcurrency").asInt(0),
                config.path("keepWorkDirs").asBoolean(false),
                config.path("defaultPath").asText(DEFAULT_PATH),
                IsolationConfig.from(config),
                config.path("recovery").asBoolean(false),
                Spawner.Mode.parse(config.path("spawn").asText("auto")));
    }
}
