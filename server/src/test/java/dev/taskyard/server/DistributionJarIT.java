package dev.taskyard.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runnable distribution {@code target/taskyard.jar} (built by the package phase, before failsafe runs) holds the
 * engines and the mock engine, but neither the contract kit nor any test library.
 */
class DistributionJarIT
{
    @Test
    void holdsTheEnginesButNoTestKitAndNoTestLibrary()
            throws IOException
    {
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        assertThat(jar).exists();
        List<String> names;
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            names = zip.stream().map(ZipEntry::getName).toList();
        }
        assertThat(names).as("entries of %s", jar)
                .contains("dev/taskyard/engine/mock/MockEngine.class",
                        "dev/taskyard/engine/process/ProcessEngineProvider.class",
                        "dev/taskyard/engine/docker/DockerEngineProvider.class",
                        "dev/taskyard/engine/remote/RemoteEngineProvider.class");
        assertThat(names).as("contract kit classes in %s", jar)
                .noneMatch(name -> name.startsWith("dev/taskyard/engine/testkit/"));
        assertThat(names).as("test libraries in %s", jar)
                .noneMatch(name -> name.startsWith("org/junit/") || name.startsWith("junit/")
                        || name.startsWith("org/opentest4j/") || name.startsWith("org/assertj/")
                        || name.startsWith("org/quicktheories/") || name.startsWith("org/apiguardian/"));
        assertThat(Files.size(jar)).isPositive();
    }
}
