package dev.taskyard.engine;

import java.util.EnumSet;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What an engine can do, constant for the engine's lifetime.
 *
 * @param maxConcurrency the most sandboxes that may be live at once (builders, sandboxes and undisposed result
 *        sets count); {@code 0} means unbounded. {@link Engine#newSandboxBuilder} throws
 *        {@link MaxConcurrencyExceededException} beyond it.
 * @param features the optional features implemented; every other optional method throws
 *        {@link FeatureNotSupportedException}
 */
public record Capabilities(int maxConcurrency, Set<Feature> features)
{
    public Capabilities
    {
        if (maxConcurrency < 0) {
            throw new IllegalArgumentException("maxConcurrency is negative: " + maxConcurrency);
        }
        requireNonNull(features, "features is null");
        features = features.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(features));
    }

    public static Capabilities of(int maxConcurrency, Feature... features)
    {
        EnumSet<Feature> set = EnumSet.noneOf(Feature.class);
        set.addAll(java.util.Arrays.asList(features));
        return new Capabilities(maxConcurrency, set);
    }

    public boolean supports(Feature feature)
    {
        return features.contains(feature);
    }
}
