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
    SUPPORTS_DISPLAYS(Feature.DISPLAYS),
    /**
     * Sandboxes outlive their engine instance and are re-attached ({@link dev.taskyard.engine.Sandbox#handle()},
     * {@link dev.taskyard.engine.Engine#recoverSandbox}). Unlike the others this behaviour is <b>not</b> expected by
     * default (it came after the kit's first engines): an engine test declares it explicitly.
     */
    SUPPORTS_RECOVERY(Feature.RECOVERY);

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
