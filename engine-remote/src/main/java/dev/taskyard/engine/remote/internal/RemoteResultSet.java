package dev.taskyard.engine.remote.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import dev.taskyard.client.Artifact;
import dev.taskyard.client.NotFoundException;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskStatus;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.remote.RemoteResult;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractResultSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The result of a remote task: its final state, and its artifacts by their remote names. A file is downloaded to the
 * engine's temp folder before it is handed out (so a reset mid-download is repeated, not half-delivered) and deleted
 * when its stream is closed. Thread-safe.
 */
final class RemoteResultSet
        extends AbstractResultSet
        implements RemoteResult
{
    private static final Logger LOG = LoggerFactory.getLogger(RemoteResultSet.class);
    /**
     * The artifact names the remote accepts (its artifacts plugin's pattern):
     * relative, no {@code .}/{@code ..} segments.
     */
    private static final Pattern NAME =
            Pattern.compile("^(?!\\.\\.?(/|$))[A-Za-z0-9._-]+(/(?!\\.\\.?(/|$))[A-Za-z0-9._-]+)*$");

    private final RemoteEngine engine;
    private final TaskContext context;
    private final Task task;
    private final Slot slot;

    RemoteResultSet(RemoteEngine engine, TaskContext context, Task task, Termination termination, Slot slot)
    {
        super(termination);
        this.engine = requireNonNull(engine, "engine is null");
        this.context = requireNonNull(context, "context is null");
        this.task = requireNonNull(task, "task is null");
        this.slot = requireNonNull(slot, "slot is null");
    }

    /**
     * The remote's verdict: COMPLETED (and not killed here) is success, whatever exit code the remote reports (a
     * remote server without the {@code success} plugin completes tasks that exit non-zero).
     */
    @Override
    public boolean success()
    {
        Termination termination = termination();
        return task.status() == TaskStatus.COMPLETED && !termination.killed() && !termination.timedOut();
    }

    @Override
    public Task remoteTask()
    {
        return task;
    }

    @Override
    public InputStream extractFile(String path)
            throws EngineException
    {
        checkNotDisposed();
        checkArtifacts();
        validate(path);
        return download(path);
    }

    @Override
    public void extractFolder(String path, FileHandler handler)
            throws EngineException
    {
        checkNotDisposed();
        checkArtifacts();
        requireNonNull(handler, "handler is null");
        String folder = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        if (!folder.isEmpty()) {
            validate(folder);
        }
        String prefix = folder.isEmpty() ? "" : folder + "/";
        List<String> files = new ArrayList<>();
        for (Artifact artifact : list()) {
            if (artifact.name().startsWith(prefix) && artifact.error().isEmpty()) {
                files.add(artifact.name().substring(prefix.length()));
            }
        }
        if (files.isEmpty()) {
            throw new ResourceNotFoundException("remote task " + task.taskId() + " has no artifacts under " + path);
        }
        feed(files, relative -> download(prefix + relative), handler);
    }

    private void checkArtifacts()
            throws EngineException
    {
        if (!engine.capabilities().supports(Feature.ARTIFACTS)) {
            throw new FeatureNotSupportedException("the remote server's payload has no artifacts: it runs no "
                    + "artifacts plugin");
        }
    }

    private static void validate(String path)
            throws MalformedPayloadException
    {
        if (!NAME.matcher(path).matches()) {
            throw new MalformedPayloadException("artifact path " + path
                    + " is not a remote artifact name (relative, /-separated, [A-Za-z0-9._-], no . or .. segments)");
        }
    }

    private List<Artifact> list()
            throws EngineException
    {
        try {
            return engine.calls().call("listing the artifacts of remote task " + task.taskId(),
                    client -> client.artifacts(task.taskId()));
        }
        catch (NotFoundException e) {
            throw new ResourceNotFoundException("remote task " + task.taskId() + " is gone", e);
        }
        catch (TaskyardException e) {
            throw RemoteEngine.refused("to list the artifacts of remote task " + task.taskId(), e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonFatalInternalErrorException("interrupted while listing remote artifacts", e);
        }
    }

    private InputStream download(String name)
            throws EngineException
    {
        Path file;
        try {
            file = Files.createTempFile(engine.context().tempFolder(), "remote-artifact-", ".tmp");
        }
        catch (IOException e) {
            throw new NonFatalInternalErrorException("cannot create a temp file for artifact " + name
                    + ": " + e.getMessage(), e);
        }
        boolean handedOut = false;
        try {
            engine.calls().call("downloading artifact " + name + " of remote task " + task.taskId(), client -> {
                try (OutputStream out = Files.newOutputStream(file)) {
                    return client.downloadArtifact(task.taskId(), name, out);
                }
                catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            InputStream in = new FilterInputStream(Files.newInputStream(file))
            {
                @Override
                public void close()
                        throws IOException
                {
                    try {
                        super.close();
                    }
                    finally {
                        Files.deleteIfExists(file);
                    }
                }
            };
            handedOut = true;
            return in;
        }
        catch (NotFoundException e) {
            throw new ResourceNotFoundException("remote task " + task.taskId() + " has no artifact " + name, e);
        }
        catch (TaskyardException e) {
            throw RemoteEngine.refused("to download artifact " + name + " of remote task " + task.taskId(), e);
        }
        catch (IOException | UncheckedIOException e) {
            throw new NonFatalInternalErrorException("cannot store artifact " + name
                    + " locally: " + e.getMessage(), e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonFatalInternalErrorException("interrupted while downloading artifact " + name, e);
        }
        finally {
            if (!handedOut) {
                try {
                    Files.deleteIfExists(file);
                }
                catch (IOException e) {
                    LOG.warn("cannot delete {}", file, e);
                }
            }
        }
    }

    @Override
    protected void release()
    {
        try {
            if (engine.settings().deleteFinishedTasks()) {
                try {
                    engine.calls().call("deleting finished remote task " + task.taskId(), client -> {
                        client.delete(task.taskId());
                        return null;
                    });
                }
                catch (NotFoundException e) {
                    // already gone
                }
                catch (TaskyardException | EngineException e) {
                    LOG.warn("deleting finished remote task {} of {} failed: {}", task.taskId(),
                            context, e.getMessage());
                }
                catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        finally {
            slot.release();
        }
    }
}
