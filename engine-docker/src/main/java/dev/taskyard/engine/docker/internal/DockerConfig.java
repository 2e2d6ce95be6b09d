package dev.taskyard.engine.docker.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.Capability;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.docker.DockerEngineProvider;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * The parsed config of a Docker engine (see {@code config.schema.json} for the meaning of each field). Immutable.
 *
 * @param socket the Engine API endpoint, {@code unix:///path} or {@code tcp://host:port}
 * @param network the network every container joins
 * @param allowPrivileged whether a payload may ask for a privileged container
 * @param defaults the limits of a task whose payload names none
 * @param maxima the highest limits a payload may ask for
 * @param recovery whether the engine declares {@link dev.taskyard.engine.Feature#RECOVERY}: sandboxes give handles,
 *        a later engine re-attaches to their containers, and the reconciler keeps the containers of an earlier
 *        instance until the worker said which of them stored leases claim
 */
public record DockerConfig(String socket, String network, boolean allowPrivileged,
        ResourceLimits defaults, ResourceLimits maxima,
        boolean init, boolean readOnlyRootFilesystem, List<Capability> capDrop, List<Capability> capAdd,
                boolean noNewPrivileges,
        int maxConcurrency, Duration gracePeriod, Duration reconcileInterval, boolean recovery)
{
    public static final String NETWORK_NONE = "none";

    public DockerConfig
    {
        requireNonNull(socket, "socket is null");
        requireNonNull(network, "network is null");
        requireNonNull(defaults, "defaults is null");
        requireNonNull(maxima, "maxima is null");
        capDrop = List.copyOf(capDrop);
        capAdd = List.copyOf(capAdd);
        requireNonNull(gracePeriod, "gracePeriod is null");
        requireNonNull(reconcileInterval, "reconcileInterval is null");
    }

    /**
     * Reads a config that already passed the schema, applying the defaults of the schema, and checks what a schema
     * cannot express.
     *
     * @throws InvalidConfigException with every inconsistency found
     */
    public static DockerConfig parse(JsonNode config)
            throws InvalidConfigException
    {
        requireNonNull(config, "config is null");
        List<Violation> violations = new ArrayList<>();

        String network = config.path("network").asText(NETWORK_NONE);
        Set<String> allowedNetworks = new java.util.LinkedHashSet<>();
        config.path("allowedNetworks").forEach(node -> allowedNetworks.add(node.asText()));
        if (!network.equals(NETWORK_NONE) && !allowedNetworks.contains(network)) {
            violations.add(new Violation("$.network", "allowedNetworks",
                    "network \"" + network + "\" is not listed in allowedNetworks " + allowedNetworks
                            + "; only \"none\" needs no listing"));
        }

        ResourceLimits maxima = new ResourceLimits(
                config.path("maxCpus").asDouble(Runtime.getRuntime().availableProcessors()),
                config.path("maxMemoryMiB").asLong(4096),
                config.path("maxPids").asLong(4096));
        double defaultCpus = config.path("defaultCpus").asDouble(Math.min(1, maxima.cpus()));
        long defaultMemory = config.path("defaultMemoryMiB").asLong(Math.min(512, maxima.memoryMiB()));
        long defaultPids = config.path("defaultPids").asLong(Math.min(512, maxima.pids()));
        checkAtMost(violations, "defaultCpus", defaultCpus, "maxCpus", maxima.cpus());
        checkAtMost(violations, "defaultMemoryMiB", defaultMemory, "maxMemoryMiB", maxima.memoryMiB());
        checkAtMost(violations, "defaultPids", defaultPids, "maxPids", maxima.pids());

        List<Capability> capDrop = config.has("capDrop") ? capabilities(config.path("capDrop"), "capDrop", violations)
                : List.of(Capability.ALL);
        List<Capability> capAdd = capabilities(config.path("capAdd"), "capAdd", violations);
        if (capAdd.contains(Capability.ALL)) {
            violations.add(new Violation("$.capAdd", "capAdd",
                    "ALL cannot be added back: list the capabilities the tasks need"));
        }

        if (!violations.isEmpty()) {
            throw new InvalidConfigException("engine \"" + DockerEngineProvider.NAME + "\"", violations);
        }
        return new DockerConfig(
                config.path("socket").asText("unix:///var/run/docker.sock"),
                network,
                config.path("privileged").asText("never").equals("allow"),
                new ResourceLimits(defaultCpus, defaultMemory, defaultPids),
                maxima,
                config.path("init").asBoolean(true),
                config.path("readOnlyRootFilesystem").asBoolean(false),
                capDrop,
                capAdd,
                config.path("noNewPrivileges").asBoolean(true),
                config.path("maxConcurrency").asInt(0),
                Duration.ofSeconds(config.path("gracePeriodSeconds").asLong(300)),
                Duration.ofSeconds(config.path("reconcileIntervalSeconds").asLong(60)),
                config.path("recovery").asBoolean(true));
    }

    /** Whether containers run without any network. */
    public boolean networkDisabled()
    {
        return network.equals(NETWORK_NONE);
    }

    private static void checkAtMost(List<Violation> violations, String field, double value, String maxField, double max)
    {
        if (value > max) {
            violations.add(new Violation("$." + field, "maximum", field + " " + format(value) + " is above "
                    + maxField + " " + format(max)));
        }
    }

    private static List<Capability> capabilities(JsonNode names, String field, List<Violation> violations)
    {
        List<Capability> capabilities = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i).asText().toUpperCase(Locale.ROOT);
            String bare = name.startsWith("CAP_") ? name.substring(4) : name;
            try {
                capabilities.add(Capability.valueOf(bare));
            }
            catch (IllegalArgumentException e) {
                violations.add(new Violation("$." + field + "[" + i + "]", "capability",
                        "unknown Linux capability \"" + name + "\""));
            }
        }
        return List.copyOf(capabilities);
    }

    static String format(double value)
    {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
