package dev.taskyard.engine;

import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.schema.Violation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The one place engines are discovered and created. {@link #load(ClassLoader)} finds every
 * {@link EngineProvider} with {@link ServiceLoader}, on the class path and on the module path alike; tests may
 * {@linkplain #register(EngineProvider) register} providers directly. Names are unique: a second provider with a
 * name already registered is an error that names both.
 *
 * <p>Thread-safe.
 */
public final class EngineRegistry
{
    private static final Logger LOG = LoggerFactory.getLogger(EngineRegistry.class);

    private final Map<String, EngineProvider> providers = new LinkedHashMap<>();

    private EngineRegistry() {}

    /** An empty registry. */
    public static EngineRegistry empty()
    {
        return new EngineRegistry();
    }

    /** A registry of the providers visible to the class loader of this class (and its module layer). */
    public static EngineRegistry load()
    {
        return load(EngineRegistry.class.getClassLoader());
    }

    /**
     * A registry of every provider that {@link ServiceLoader} finds through {@code loader}.
     *
     * @throws IllegalStateException two providers share a name, or a provider cannot be instantiated
     */
    public static EngineRegistry load(ClassLoader loader)
    {
        EngineRegistry registry = new EngineRegistry();
        try {
            for (EngineProvider provider : ServiceLoader.load(EngineProvider.class, loader)) {
                registry.register(provider);
            }
        }
        catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load engine providers: " + e.getMessage(), e);
        }
        if (registry.providers.isEmpty()) {
            LOG.warn("no engine provider discovered");
        }
        else {
            LOG.info("discovered engines: {}", registry.providers());
        }
        return registry;
    }

    /**
     * Adds a provider.
     *
     * @throws IllegalStateException a provider of the same name is already registered
     * @throws IllegalArgumentException the name is not of the form {@code [a-z][a-z0-9-]*}
     */
    public synchronized EngineRegistry register(EngineProvider provider)
    {
        requireNonNull(provider, "provider is null");
        String name = requireNonNull(provider.name(), "provider name is null");
        if (!name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("invalid engine name \"" + name + "\" from " + describe(provider));
        }
        EngineProvider existing = providers.putIfAbsent(name, provider);
        if (existing != null) {
            throw new IllegalStateException("duplicate engine name \"" + name + "\": " + describe(existing)
                    + " and " + describe(provider));
        }
        return this;
    }

    /** What was found, in registration order. */
    public synchronized List<ProviderInfo> providers()
    {
        List<ProviderInfo> infos = new ArrayList<>();
        for (EngineProvider provider : providers.values()) {
            infos.add(new ProviderInfo(provider.name(), provider.version(), location(provider),
                    provider.getClass().getName()));
        }
        return List.copyOf(infos);
    }

    public synchronized Optional<EngineProvider> provider(String name)
    {
        return Optional.ofNullable(providers.get(requireNonNull(name, "name is null")));
    }

    /**
     * Every violation of the named engine's config schema by {@code config}; empty when valid.
     *
     * @throws IllegalArgumentException no engine has that name
     */
    public List<Violation> validateConfig(String name, JsonNode config)
    {
        return require(name).configSchema().validate(requireNonNull(config, "config is null"));
    }

    /**
     * Validates {@code config} against the named engine's schema and creates the engine.
     *
     * @throws InvalidConfigException the config violates the schema; every violation is listed with its path
     * @throws IllegalArgumentException no engine has that name
     * @throws EngineException the provider failed to create the engine
     */
    public Engine createEngine(String name, JsonNode config, EngineContext context)
            throws EngineException
    {
        EngineProvider provider = require(name);
        List<Violation> violations = provider.configSchema().validate(requireNonNull(config, "config is null"));
        if (!violations.isEmpty()) {
            throw new InvalidConfigException("engine \"" + name + "\"", violations);
        }
        return provider.createEngine(new EngineOptions(config.deepCopy(), context));
    }

    private EngineProvider require(String name)
    {
        return provider(name).orElseThrow(() -> new IllegalArgumentException(
                "no engine named \"" + name + "\"; available: "
                        + providers().stream().map(ProviderInfo::name).toList()));
    }

    private static String describe(EngineProvider provider)
    {
        return provider.getClass().getName() + " (" + location(provider) + ")";
    }

    private static String location(EngineProvider provider)
    {
        CodeSource source = provider.getClass().getProtectionDomain().getCodeSource();
        URL url = source == null ? null : source.getLocation();
        return url == null ? "unknown location" : url.toString();
    }

    /**
     * One discovered provider.
     *
     * @param location the jar or folder the provider class was loaded from
     */
    public record ProviderInfo(String name, String version, String location, String className)
    {
        @Override
        public String toString()
        {
            return name + " (version " + version + ", " + location + ")";
        }
    }
}
