package dev.taskyard.engine.docker.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractResultSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import static java.util.Objects.requireNonNull;

/**
 * The stopped container of a task that terminated. Files and folders are read through the daemon's archive API as
 * a tar stream that is never buffered whole: {@link #extractFile} returns a stream over the one entry, and
 * {@link #extractFolder} hands the regular files (not directories, links or devices) to the handler one after the
 * other, with paths relative to the folder. Entries whose names would escape the folder are not handed out. Paths
 * follow {@link ArtifactPaths}; symbolic links are not followed.
 *
 * <p>Thread-safe. Owns the container and the {@link Slot}; {@link #dispose()} removes the container.
 */
final class DockerResultSet
        extends AbstractResultSet
{
    private final DockerEngine engine;
    private final ContainerHandle container;
    private final Slot slot;
    private final TaskContext context;

    DockerResultSet(DockerEngine engine, Termination termination, ContainerHandle container,
            Slot slot, TaskContext context)
    {
        super(termination);
        this.engine = requireNonNull(engine, "engine is null");
        this.container = requireNonNull(container, "container is null");
        this.slot = requireNonNull(slot, "slot is null");
        this.context = requireNonNull(context, "context is null");
    }

    @Override
    public InputStream extractFile(String path)
            throws EngineException
    {
        checkNotDisposed();
        ArtifactPaths.validate(path);
        TarArchiveInputStream tar = openArchive(path);
        try {
            TarArchiveEntry entry = tar.getNextEntry();
            if (entry == null || !isRegularFile(entry)) {
                String what = entry == null ? "nothing" : entry.isDirectory() ? "a folder" : "not a regular file";
                closeQuietly(tar);
                throw new ResourceNotFoundException("no file " + path + " in the container of task "
                        + context.taskId() + ": it is " + what);
            }
            return new FilterInputStream(tar)
            {
                @Override
                public void close()
                        throws IOException
                {
                    tar.close();
                }
            };
        }
        catch (IOException e) {
            closeQuietly(tar);
            throw new NonFatalInternalErrorException("reading " + path + " from the container of task "
                    + context.taskId() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void extractFolder(String path, FileHandler handler)
            throws EngineException
    {
        requireNonNull(handler, "handler is null");
        checkNotDisposed();
        ArtifactPaths.validate(path);
        try (TarArchiveInputStream tar = openArchive(path)) {
            TarArchiveEntry root = tar.getNextEntry();
            if (root == null || !root.isDirectory()) {
                throw new ResourceNotFoundException("no folder " + path + " in the container of task "
                        + context.taskId() + ": it is a file");
            }
            String rootName = root.getName().endsWith("/") ? root.getName() : root.getName() + "/";
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                Optional<String> relative = ArtifactPaths.relativeEntry(entry.getName(), rootName);
                if (relative.isEmpty()) {
                    engine.logger().warn("task {} run {}: skipped archive entry \"{}\" of {}: "
                            + "it would escape the folder", context.taskId(), context.runId(), entry.getName(), path);
                    continue;
                }
                if (entry.isLink()) {
                    handHardLink(path, rootName, entry, relative.get(), handler);
                }
                else if (isRegularFile(entry)) {
                    hand(relative.get(), new EntryStream(tar), handler);
                }
            }
        }
        catch (IOException e) {
            throw new NonFatalInternalErrorException("reading folder " + path + " from the container of task "
                    + context.taskId() + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    protected void release()
            throws EngineException
    {
        try {
            container.remove();
        }
        finally {
            slot.release();
        }
    }

    // a hard link's content is stored once, under the first name: fetch it from there
    private void handHardLink(String folder, String rootName, TarArchiveEntry entry,
            String relative, FileHandler handler)
            throws EngineException
    {
        Optional<String> target = ArtifactPaths.relativeEntry(entry.getLinkName(), rootName);
        if (target.isEmpty()) {
            return;
        }
        try (InputStream in = extractFile(folder + "/" + target.get())) {
            hand(relative, in, handler);
        }
        catch (IOException e) {
            throw new NonFatalInternalErrorException("reading " + folder + "/" + target.get()
                    + " failed: " + e.getMessage(), e);
        }
    }

    private void hand(String relative, InputStream content, FileHandler handler)
            throws HandlerInterruptedException
    {
        try {
            handler.handle(relative, content);
        }
        catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new HandlerInterruptedException("the handler failed on " + relative + ": " + e, e);
        }
    }

    private TarArchiveInputStream openArchive(String path)
            throws EngineException
    {
        try {
            return new TarArchiveInputStream(engine.client().copyArchiveFromContainerCmd(container.id(), path).exec());
        }
        catch (RuntimeException e) {
            String reason = DockerErrors.reason(e);
            if (DockerErrors.isNotFound(e) || DockerErrors.isDaemonAnswer(e) && reason.contains("not a directory")) {
                throw new ResourceNotFoundException("no " + path + " in the container of task "
                        + context.taskId() + ": " + reason);
            }
            throw DockerErrors.internal(engine.config().socket(), "read " + path
                    + " from the container of task " + context.taskId(), e);
        }
    }

    private static boolean isRegularFile(TarArchiveEntry entry)
    {
        byte flag = entry.getLinkFlag();
        return flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG;
    }

    private static void closeQuietly(InputStream in)
    {
        try {
            in.close();
        }
        catch (IOException ignored) {
            // abandoning the stream
        }
    }

    /** The current entry of the archive; closing it leaves the archive open. */
    private static final class EntryStream
            extends FilterInputStream
    {
        EntryStream(InputStream in)
        {
            super(in);
        }

        @Override
        public void close()
        {
            // the archive belongs to the extraction
        }
    }
}
