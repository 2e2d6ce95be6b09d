package dev.taskyard.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import static java.util.Objects.requireNonNull;

/**
 * An {@link ArtifactStore} in a folder: the content of artifact {@code name} of a run is the file
 * {@code root/taskId/runId/data/name}; an error artifact is a JSON file {@code root/taskId/runId/errors/name}.
 * Content is written to a temporary file first and then linked into place, so readers never see a partial
 * artifact and two writers of one name cannot both succeed. Thread-safe.
 */
public final class FolderArtifactStore
        implements ArtifactStore
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path root;

    public FolderArtifactStore(Path root)
    {
        this.root = requireNonNull(root, "root is null").toAbsolutePath();
    }

    public Path root()
    {
        return root;
    }

    @Override
    public Artifact put(String taskId, String runId, String name, InputStream content)
            throws IOException
    {
        requireNonNull(content, "content is null");
        Path run = run(taskId, runId);
        checkName(name);
        Path target = run.resolve("data").resolve(name);
        checkFree(run, name);
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempFile(target.getParent(), ".partial-", ".tmp");
        try {
            long size = Files.copy(content, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.createLink(target, temp);
            return new Artifact(name, size, Optional.empty());
        }
        finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public Artifact putError(String taskId, String runId, String name, Artifact.ArtifactError error)
            throws IOException
    {
        requireNonNull(error, "error is null");
        Path run = run(taskId, runId);
        checkName(name);
        checkFree(run, name);
        Path target = run.resolve("errors").resolve(name);
        Files.createDirectories(target.getParent());
        ObjectNode json = MAPPER.createObjectNode().put("reason", error.reason()).put("message", error.message());
        Files.write(target, MAPPER.writeValueAsBytes(json), java.nio.file.StandardOpenOption.CREATE_NEW);
        return new Artifact(name, 0, Optional.of(error));
    }

    @Override
    public List<Artifact> list(String taskId, String runId)
            throws IOException
    {
        Path run = run(taskId, runId);
        List<Artifact> artifacts = new ArrayList<>();
        Path data = run.resolve("data");
        for (Path file : files(data)) {
            if (!file.getFileName().toString().startsWith(".partial-")) {
                artifacts.add(new Artifact(relative(data, file), Files.size(file), Optional.empty()));
            }
        }
        Path errors = run.resolve("errors");
        for (Path file : files(errors)) {
            ObjectNode json = (ObjectNode) MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            artifacts.add(new Artifact(relative(errors, file), 0,
                    Optional.of(new Artifact.ArtifactError(json.path("reason").asText(),
                            json.path("message").asText()))));
        }
        artifacts.sort(Comparator.comparing(Artifact::name));
        return List.copyOf(artifacts);
    }

    @Override
    public InputStream open(String taskId, String runId, String name)
            throws IOException
    {
        checkName(name);
        return Files.newInputStream(run(taskId, runId).resolve("data").resolve(name));
    }

    private Path run(String taskId, String runId)
    {
        if (taskId == null || !ID.matcher(taskId).matches() || runId == null || !ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("invalid task or run id: " + taskId + "/" + runId);
        }
        return root.resolve(taskId).resolve(runId);
    }

    private static void checkName(String name)
    {
        if (!ArtifactStore.isValidName(name)) {
            throw new IllegalArgumentException("invalid artifact name \"" + name + "\"");
        }
    }

    private static void checkFree(Path run, String name)
            throws FileAlreadyExistsException
    {
        if (Files.exists(run.resolve("data").resolve(name)) || Files.exists(run.resolve("errors").resolve(name))) {
            throw new FileAlreadyExistsException(name, null, "the run already has an artifact of that name");
        }
    }

    private static List<Path> files(Path folder)
            throws IOException
    {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile).toList();
        }
        catch (NoSuchFileException e) {
            return List.of();
        }
    }

    private static String relative(Path base, Path file)
    {
        return base.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }
}
