package dev.taskyard.engine.docker.internal;

import java.util.Optional;

import dev.taskyard.engine.MalformedPayloadException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageReferenceTest
{
    @Test
    void splitsTagsDigestsAndRegistryPorts()
            throws Exception
    {
        assertThat(ImageReference.parse("alpine"))
                .isEqualTo(new ImageReference("alpine", "alpine", Optional.empty(), Optional.empty()));
        assertThat(ImageReference.parse("alpine").pullTag()).isEqualTo("latest");
        ImageReference tagged = ImageReference.parse("registry:5000/team/tool:1.2");
        assertThat(tagged.repository()).isEqualTo("registry:5000/team/tool");
        assertThat(tagged.pullTag()).isEqualTo("1.2");
        ImageReference port = ImageReference.parse("registry:5000/team/tool");
        assertThat(port.repository()).isEqualTo("registry:5000/team/tool");
        assertThat(port.tag()).isEmpty();
        ImageReference digest = ImageReference.parse("team/tool:1.2@sha256:abc");
        assertThat(digest.repository()).isEqualTo("team/tool");
        assertThat(digest.pullTag()).isEqualTo("sha256:abc");
    }

    @ParameterizedTest
    @ValueSource(strings = {":tag", "alpine:", "alpine@", "alpine@sha256:", "alpine@nodigest"})
    void refusesWhatCannotBeSplit(String reference)
    {
        assertThatThrownBy(() -> ImageReference.parse(reference)).isInstanceOf(MalformedPayloadException.class);
    }
}
