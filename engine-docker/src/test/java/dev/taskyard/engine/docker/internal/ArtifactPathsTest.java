package dev.taskyard.engine.docker.internal;

import java.util.Optional;

import dev.taskyard.engine.MalformedPayloadException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArtifactPathsTest
{
    @ParameterizedTest
    @ValueSource(strings = {"/a", "/work/out/report.txt", "/.hidden/x", "/a..b/c"})
    void acceptsAbsoluteNormalisedPaths(String path)
            throws Exception
    {
        assertThat(ArtifactPaths.validate(path)).isEqualTo(path);
    }

    @ParameterizedTest
    @ValueSource(strings =
            {"", "relative/path.txt", "/", "/a/", "/a//b", "/a/./b", "/a/../b", "/..", "/a/.", "/nul\0byte"})
    void refusesEverythingElse(String path)
    {
        assertThatThrownBy(() -> ArtifactPaths.validate(path)).isInstanceOf(MalformedPayloadException.class)
                .hasMessageContaining("invalid artifact path");
    }

    @ParameterizedTest
    @CsvSource({
            "out/a.txt, out/, a.txt",
            "out/sub/b.txt, out/, sub/b.txt",
            "out/sub/, out/, sub",
            "out/, out/, ''",
            "out/../etc/passwd, out/, ''",
            "other/a.txt, out/, ''",
            "out//abs, out/, ''",
            "out/a/../../x, out/, ''"})
    void entriesThatWouldEscapeAreRefused(String entry, String root, String expected)
    {
        assertThat(ArtifactPaths.relativeEntry(entry, root))
                .isEqualTo(expected.isEmpty() ? Optional.empty() : Optional.of(expected));
    }

    @ParameterizedTest
    @CsvSource({"/a/b/c, /a/b", "/a, /"})
    void parent(String path, String parent)
    {
        assertThat(ArtifactPaths.parent(path)).isEqualTo(parent);
    }
}
