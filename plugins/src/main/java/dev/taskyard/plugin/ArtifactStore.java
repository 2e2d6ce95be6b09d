package dev.taskyard.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the artifacts of task runs are kept. Implementations must be thread-safe: the artifacts of many runs, and
 * several artifacts of one run, are stored concurrently. An artifact, once stored, is immutable; storing a second
 * artifact of the same name in the same run fails with {@link java.nio.file.FileAlreadyExistsException}.
 *
 * <p>Names are relative and slash-separated: segments of {@code [A-Za-z0-9._-]}, neither {@code .} nor
 * {@code ..}; task and run ids match {@code [A-Za-z0-9_-]{1,64}}. Other values are refused with
 * {@link IllegalArgumentException}.
 */
public interface ArtifactStore
{
    Pattern NAME = Pattern.compile("(?!\\.\\.?(/|$))[A-Za-z0-9._-]+(/(?!\\.\\.?(/|$))[A-Za-z0-9._-]+)*");
    Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /**
     * Stores the content read from {@code content} (which the caller closes) under {@code name}.
     *
     * @throws java.nio.file.FileAlreadyExistsException the run already has an artifact of that name
     */
    Artifact put(String taskId, String runId, String name, InputStream content)
            throws IOException;

    /**
     * Records that the declared artifact {@code name} could not be produced.
     *
     * @throws java.nio.file.FileAlreadyExistsException the run already has an artifact of that name
     */
    Artifact putError(String taskId, String runId, String name, Artifact.ArtifactError error)
            throws IOException;

    /** The artifacts of a run, sorted by name; empty if there are none. */
    List<Artifact> list(String taskId, String runId)
            throws IOException;

    /**
     * Opens the content of an artifact; the caller closes the stream.
     *
     * @throws java.nio.file.NoSuchFileException no such artifact, or it is an error artifact
     */
    InputStream open(String taskId, String runId, String name)
            throws IOException;

    /** Whether {@code name} is a valid artifact name. */
    static boolean isValidName(String name)
    {
        return name != null && NAME.matcher(name).matches();
    }
}
