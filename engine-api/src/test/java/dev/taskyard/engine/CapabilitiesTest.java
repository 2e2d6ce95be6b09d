package dev.taskyard.engine;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapabilitiesTest
{
    @Test
    void featuresAreCopied()
    {
        Set<Feature> features = new HashSet<>(Set.of(Feature.SHELLS));
        Capabilities capabilities = new Capabilities(2, features);

        features.add(Feature.VOLUMES);

        assertThat(capabilities.features()).containsExactly(Feature.SHELLS);
        assertThat(capabilities.supports(Feature.SHELLS)).isTrue();
        assertThat(capabilities.supports(Feature.VOLUMES)).isFalse();
        assertThatThrownBy(() -> capabilities.features().add(Feature.ARTIFACTS))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void negativeConcurrencyIsRefused()
    {
        assertThatThrownBy(() -> Capabilities.of(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> new Capabilities(-5, Set.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zeroConcurrencyMeansUnbounded()
    {
        assertThat(Capabilities.of(0).maxConcurrency()).isZero();
    }

    @Test
    void ofListsTheFeatures()
    {
        Capabilities capabilities = Capabilities.of(3, Feature.ARTIFACTS, Feature.ENVIRONMENT_VARIABLES);

        assertThat(capabilities.maxConcurrency()).isEqualTo(3);
        assertThat(capabilities.features()).containsExactlyInAnyOrder(Feature.ARTIFACTS, Feature.ENVIRONMENT_VARIABLES);
        assertThat(Capabilities.of(1).features()).isEmpty();
        assertThat(capabilities)
                .isEqualTo(new Capabilities(3, Set.of(Feature.ENVIRONMENT_VARIABLES, Feature.ARTIFACTS)));
    }

    @Test
    void nullFeaturesAreRefused()
    {
        assertThatThrownBy(() -> new Capabilities(1, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Capabilities.of(1, (Feature) null)).isInstanceOf(NullPointerException.class);
    }
}
