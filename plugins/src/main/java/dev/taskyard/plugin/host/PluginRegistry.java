package dev.taskyard.plugin.host;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import dev.taskyard.plugin.PluginProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The plugin providers a worker can use: found with {@link ServiceLoader} by {@link #load(ClassLoader)}, or
 * {@linkplain #register(PluginProvider) registered} directly by tests. Names are unique; a second provider with a
 * taken name is an error naming both. Thread-safe.
 */
public final class PluginRegistry
{
    private static final Logger LOG = LoggerFactory.getLogger(PluginRegistry.class);

    /** Reserved: the config key listing disabled plugins. */
    public static final String DISABLED = "disabled";

    private final Map<String, PluginProvider> providers = new LinkedHashMap<>();

    private PluginRegistry() {}

    public static PluginRegistry empty()
    {
        return new PluginRegistry();
    }

    /** The providers visible to the class loader of this class. */
    public static PluginRegistry load()
    {
        return load(PluginRegistry.class.getClassLoader());
    }

    /**
     * Every provider {@link ServiceLoader} finds through {@code loader}.
     *
     * @throws IllegalStateException two providers share a name, or a provider cannot be instantiated
     */
    public static PluginRegistry load(ClassLoader loader)
    {
        PluginRegistry registry = new PluginRegistry();
        try {
            for (PluginProvider provider : ServiceLoader.load(PluginProvider.class, loader)) {
                registry.register(provider);
            }
        }
        catch (ServiceConfigurationError e) {
            throw new IllegalStateException("cannot load plugin providers: " + e.getMessage(), e);
        }
        LOG.info("discovered plugins: {}", registry.names());
        return registry;
    }

    /**
     * Adds a provider.
     *
     * @throws IllegalStateException the name is taken
     * @throws IllegalArgumentException the name is invalid or reserved
     */
    public synchronized PluginRegistry register(PluginProvider provider)
    {
        requireNonNull(provider, "provider is null");
        String name = requireNonNull(provider.name(), "provider name is null");
        if (!name.matches("[a-z][a-z0-9-]*") || name.equals(DISABLED)) {
            throw new IllegalArgumentException("invalid plugin name \"" + name + "\" from "
                    + provider.getClass().getName());
        }
        PluginProvider existing = providers.putIfAbsent(name, provider);
        if (existing != null) {
            throw new IllegalStateException("duplicate plugin name \"" + name + "\": " + existing.getClass().getName()
                    + " and " + provider.getClass().getName());
        }
        return this;
    }

    /** The names of the registered providers, in registration order. */
    public synchronized List<String> names()
    {
        return List.copyOf(providers.keySet());
    }

    public synchronized Optional<PluginProvider> provider(String name)
    {
        return Optional.ofNullable(providers.get(requireNonNull(name, "name is null")));
    }
}
