package dev.taskyard.engine.testkit;

import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Where the task of {@link EngineContractTest#writeFilesPayload()} leaves its files, in the engine's path format.
 *
 * @param text the text every written file contains
 * @param textFile a file containing {@code text}
 * @param missingFile a path where no file exists
 * @param missingFolder a path where no folder exists
 * @param nestedFolder a folder holding exactly {@code nestedFiles} (and the folders they need)
 * @param nestedFiles the files below {@code nestedFolder}, relative, {@code /}-separated, each containing {@code text}
 * @param invalidPath a path in the wrong format, or escaping the sandbox, that must give malformed-payload
 */
public record ArtifactLayout(String text, String textFile, String missingFile,
        String missingFolder, String nestedFolder, Set<String> nestedFiles, String invalidPath)
{
    public ArtifactLayout
    {
        requireNonNull(text, "text is null");
        requireNonNull(textFile, "textFile is null");
        requireNonNull(missingFile, "missingFile is null");
        requireNonNull(missingFolder, "missingFolder is null");
        requireNonNull(nestedFolder, "nestedFolder is null");
        nestedFiles = Set.copyOf(nestedFiles);
        requireNonNull(invalidPath, "invalidPath is null");
    }
}
