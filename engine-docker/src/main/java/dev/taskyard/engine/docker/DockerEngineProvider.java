package dev.taskyard.engine.docker;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.docker.internal.DockerConfig;
import dev.taskyard.engine.docker.internal.DockerEngine;
import dev.taskyard.engine.schema.JsonSchema;

import static java.util.Objects.requireNonNull;

/**
 * Provides the engine {@code docker}: every task runs in its own container on a Docker daemon, reached through the
 * Engine API (never the {@code docker} CLI). Containers join the network {@code none} unless the config says
 * otherwise, drop every capability, cannot gain privileges and run under an init process that reaps zombies.
 *
 * <p>Payload ({@code payload.schema.json}): {@code image} and {@code command} (argv) are required; {@code workdir},
 * {@code user}, {@code cpus}, {@code memoryMiB}, {@code pids} and {@code privileged} are optional. A limit above the
 * configured maximum is a malformed payload. An image that is not present is pulled, with progress in the task log.
 *
 * <p>Features: environment variables, volumes (Docker volumes; mount points are absolute paths), shells
 * ({@code docker exec}; without a TTY {@link dev.taskyard.engine.Shell#resize} is not supported) and artifacts
 * (absolute paths inside the container, read through the archive API). Proxies and displays are not supported.
 *
 * <p>Every object the engine creates carries the labels of {@link DockerLabels}; a reconciler removes objects of
 * this worker that no live sandbox owns once they are older than the configured grace period.
 *
 * <p>Stateless and thread-safe.
 */
public final class DockerEngineProvider
        implements EngineProvider
{
    /** The engine's registered name. */
    public static final String NAME = "docker";

    private static final JsonSchema CONFIG_SCHEMA =
            JsonSchema.read(DockerEngineProvider.class.getResourceAsStream("config.schema.json"), "config.schema.json");

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG_SCHEMA;
    }

    /**
     * Creates the engine without contacting the daemon, so a worker can start while its daemon restarts: a daemon
     * that does not answer makes each task fail with a non-fatal internal error instead.
     *
     * @throws dev.taskyard.engine.InvalidConfigException the config passes the schema but is inconsistent (e.g. a
     *         default limit above its maximum, or a network not in {@code allowedNetworks})
     */
    @Override
    public Engine createEngine(EngineOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        return DockerEngine.start(DockerConfig.parse(options.config()), options.context());
    }
}
