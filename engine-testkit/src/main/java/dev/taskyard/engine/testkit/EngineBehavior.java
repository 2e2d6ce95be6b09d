package dev.taskyard.engine.testkit;

import java.util.Optional;

import dev.taskyard.engine.Feature;

/**
 * Optional behaviours of an engine, in the style of Trino's {@code TestingConnectorBehavior}. Every behaviour is
 * expected by default; an engine test declares what its engine lacks by overriding
 * {@link EngineContractTest#hasBehavior(EngineBehavior)}. For a behaviour declared unsupported the kit verifies the
 * negative: the call must fail with {@link dev.taskyard.engine.FeatureNotSupportedException}, and the engine's
 * {@link dev.taskyard.engine.Capabilities} must agree with the declaration.
 */
public enum EngineBehavior
{
    SUPPORTS_ENVIRONMENT_VARIABLES(Feature.ENVIRONMENT_VARIABLES),
    SUPPORTS_ARTIFACTS(Feature.ARTIFACTS),
    SUPPORTS_VOLUMES(Feature.VOLUMES),
    SUPPORTS_PROXIES(Feature.PROXIES),
    SUPPORTS_SHELLS(Feature.SHELLS),
    SUPPORTS_DISPLAYS(Feature.DISPLAYS);

    private final Feature feature;

    EngineBehavior(Feature feature)
    {
        this.feature = feature;
    }

    /** The SPI feature that the engine's capabilities must list exactly when the behaviour is declared. */
    public Optional<Feature> feature()
    {
        return Optional.ofNullable(feature);
    }
}
