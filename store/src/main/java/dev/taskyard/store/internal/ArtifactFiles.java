package dev.taskyard.store.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The artifacts of task runs: the content of each artifact is a file {@code root/<taskId>/<runId>/<uuid>.bin}
 * (written and forced to disk first), and a row in {@code artifacts} publishes it under its name. The row is the
 * truth: a file without a row (a crash between the two) is never listed and goes away with its task. Storing files
 * under generated names keeps artifact names like {@code a} and {@code a/b} from colliding on disk. Thread-safe.
 */
public final class ArtifactFiles
{
    private static final Logger LOG = LoggerFactory.getLogger(ArtifactFiles.class);

    private final Path root;
    private final Database database;
    private final Clock clock;

    public ArtifactFiles(Path root, Database database, Clock clock)
    {
        this.root = requireNonNull(root, "root is null");
        this.database = requireNonNull(database, "database is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The folder of the task's artifacts. */
    public Path folder(String taskId)
    {
        return root.resolve(taskId);
    }

    /** See {@link ArtifactStore#put}; also {@link NoSuchFileException} if there is no such task. */
    public Artifact put(String taskId, String runId, String name, InputStream content)
            throws IOException
    {
        requireNonNull(content, "content is null");
        check(taskId, runId, name);
        if (find(taskId, runId, name).isPresent()) {
            throw exists(taskId, runId, name);
        }
        Path folder = root.resolve(taskId).resolve(runId);
        Files.createDirectories(folder);
        String fileName = UUID.randomUUID().toString().replace("-", "") + ".bin";
        Path file = folder.resolve(fileName);
        long size;
        boolean published = false;
        try {
            try (FileChannel channel =
                    FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                size = content.transferTo(out);
                channel.force(true);
            }
            Durability.forceFolders(folder, folder.getParent());
            insert(taskId, runId, name, taskId + "/" + runId + "/" + fileName, size, null);
            published = true;
        }
        finally {
            if (!published) {
                Files.deleteIfExists(file);
            }
        }
        LOG.debug("task {}: run {} stored artifact {} ({} bytes)", taskId, runId, name, size);
        return new Artifact(name, size, Optional.empty());
    }

    /** See {@link ArtifactStore#putError}; also {@link NoSuchFileException} if there is no such task. */
    public Artifact putError(String taskId, String runId, String name, Artifact.ArtifactError error)
            throws IOException
    {
        requireNonNull(error, "error is null");
        check(taskId, runId, name);
        insert(taskId, runId, name, null, 0, error);
        LOG.debug("task {}: run {} recorded error artifact {}: {}", taskId, runId, name, error.reason());
        return new Artifact(name, 0, Optional.of(error));
    }

    /** See {@link ArtifactStore#list}. */
    public List<Artifact> list(String taskId, String runId)
            throws IOException
    {
        checkIds(taskId, runId);
        try {
            return database.read(connection -> {
                try (PreparedStatement select = connection.prepareStatement(
                        "SELECT name, size, error_reason, error_message FROM artifacts "
                                + "WHERE task_id = ? AND run_id = ? ORDER BY name")) {
                    select.setString(1, taskId);
                    select.setString(2, runId);
                    List<Artifact> artifacts = new ArrayList<>();
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            artifacts.add(artifact(rows));
                        }
                    }
                    return List.copyOf(artifacts);
                }
            });
        }
        catch (SQLException e) {
            throw new IOException("cannot list the artifacts of task " + taskId + " run " + runId, e);
        }
    }

    /** See {@link ArtifactStore#open}. */
    public InputStream open(String taskId, String runId, String name)
            throws IOException
    {
        check(taskId, runId, name);
        Optional<String> file = find(taskId, runId, name).flatMap(row -> Optional.ofNullable(row.file()));
        if (file.isEmpty()) {
            throw new NoSuchFileException(taskId + "/" + runId + "/" + name, null, "no such artifact");
        }
        return Files.newInputStream(root.resolve(file.get()));
    }

    private record Row(String file)
    {
    }

    private Optional<Row> find(String taskId, String runId, String name)
            throws IOException
    {
        try {
            return database.read(connection -> {
                try (PreparedStatement select =
                        connection.prepareStatement("SELECT file FROM artifacts "
                        + "WHERE task_id = ? AND run_id = ? AND name = ?")) {
                    select.setString(1, taskId);
                    select.setString(2, runId);
                    select.setString(3, name);
                    try (ResultSet rows = select.executeQuery()) {
                        return rows.next() ? Optional.of(new Row(rows.getString(1))) : Optional.<Row>empty();
                    }
                }
            });
        }
        catch (SQLException e) {
            throw new IOException("cannot read the artifacts of task " + taskId, e);
        }
    }

    private void insert(String taskId, String runId, String name, String file, long size, Artifact.ArtifactError error)
            throws IOException
    {
        try {
            database.write(connection -> {
                requireTask(connection, taskId);
                try (PreparedStatement exists =
                        connection.prepareStatement("SELECT 1 FROM artifacts "
                        + "WHERE task_id = ? AND run_id = ? AND name = ?")) {
                    exists.setString(1, taskId);
                    exists.setString(2, runId);
                    exists.setString(3, name);
                    try (ResultSet rows = exists.executeQuery()) {
                        if (rows.next()) {
                            throw exists(taskId, runId, name);
                        }
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO artifacts (task_id, run_id, name, file, size, error_reason, error_message, "
                                + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    insert.setString(1, taskId);
                    insert.setString(2, runId);
                    insert.setString(3, name);
                    insert.setString(4, file);
                    insert.setLong(5, size);
                    insert.setString(6, error == null ? null : error.reason());
                    insert.setString(7, error == null ? null : error.message());
                    insert.setLong(8, clock.millis());
                    insert.executeUpdate();
                }
                return null;
            });
        }
        catch (SQLException e) {
            throw new IOException("cannot store artifact " + name + " of task " + taskId + " run " + runId, e);
        }
    }

    private static void requireTask(Connection connection, String taskId)
            throws SQLException, NoSuchFileException
    {
        try (PreparedStatement task = connection.prepareStatement("SELECT 1 FROM tasks WHERE id = ?")) {
            task.setString(1, taskId);
            try (ResultSet rows = task.executeQuery()) {
                if (!rows.next()) {
                    throw new NoSuchFileException("task " + taskId, null, "no such task");
                }
            }
        }
    }

    private static Artifact artifact(ResultSet rows)
            throws SQLException
    {
        String reason = rows.getString(3);
        Optional<Artifact.ArtifactError> error = reason == null ? Optional.empty()
                : Optional.of(new Artifact.ArtifactError(reason, rows.getString(4) == null ? "" : rows.getString(4)));
        return new Artifact(rows.getString(1), rows.getLong(2), error);
    }

    private static FileAlreadyExistsException exists(String taskId, String runId, String name)
    {
        return new FileAlreadyExistsException(taskId + "/" + runId + "/" + name, null,
                "the run already has an artifact of that name");
    }

    private static void check(String taskId, String runId, String name)
    {
        checkIds(taskId, runId);
        if (!ArtifactStore.isValidName(name)) {
            throw new IllegalArgumentException("invalid artifact name \"" + name + "\"");
        }
    }

    private static void checkIds(String taskId, String runId)
    {
        if (taskId == null || !ArtifactStore.ID.matcher(taskId).matches() || runId == null
                || !ArtifactStore.ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("invalid task or run id: " + taskId + "/" + runId);
        }
    }
}
