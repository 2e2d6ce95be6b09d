package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractResultSet;

import static java.util.Objects.requireNonNull;

/**
 * The result of a process task: its termination and its work dir, until {@link #dispose()} deletes the work dir
 * (unless the engine keeps work dirs) and releases the task's slot.
 *
 * <p><b>Artifact paths</b> are relative to the task's work dir and {@code /}-separated: {@code folder/hello.txt},
 * {@code folder}, {@code folder/}; {@code ""} or {@code .} is the work dir itself (which includes the task's
 * {@code .tmp}). Absolute paths, {@code ..} segments and paths whose real path (symbolic links resolved) leaves
 * the work dir are refused with {@link MalformedPayloadException}; a missing path gives
 * {@link ResourceNotFoundException}, and so does {@code extractFile} of a folder or of anything that is not a
 * regular file, and {@code extractFolder} of a file.
 *
 * <p>{@code extractFolder} reports regular files only, with paths relative to the folder, sorted. Symbolic links
 * below the folder are <b>skipped</b>, wherever they point: they are never followed, neither to files nor into
 * folders, so nothing outside the work dir can be reached through them. Sub-folders the worker cannot read are
 * skipped too (and logged).
 *
 * <p>Thread-safe: extractions may run concurrently; {@code dispose} waits for running extractions to finish.
 */
final class ProcessResultSet
        extends AbstractResultSet
{
    private final ProcessEngine engine;
    private final TaskContext context;
    private final WorkDir workDir;
    private final Confinement confinement;
    private final Slot slot;
    private final Runnable awaitShells;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    ProcessResultSet(Termination termination, ProcessEngine engine, TaskContext context, WorkDir workDir,
            Confinement confinement, Slot slot, Runnable awaitShells)
    {
        super(termination);
        this.engine = requireNonNull(engine, "engine is null");
        this.context = requireNonNull(context, "context is null");
        this.workDir = requireNonNull(workDir, "workDir is null");
        this.confinement = requireNonNull(confinement, "confinement is null");
        this.slot = requireNonNull(slot, "slot is null");
        this.awaitShells = requireNonNull(awaitShells, "awaitShells is null");
    }

    @Override
    public InputStream extractFile(String path)
            throws EngineException
    {
        lock.readLock().lock();
        try {
            checkNotDisposed();
            Path file = workDir.resolve(path);
            if (Files.isDirectory(file)) {
                throw new ResourceNotFoundException("\"" + path + "\" is a folder, not a file");
            }
            if (!Files.isRegularFile(file)) {
                throw new ResourceNotFoundException("\"" + path + "\" is not a regular file");
            }
            try {
                return Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            }
            catch (IOException e) {
                throw new ResourceNotFoundException("cannot open \"" + path + "\": " + e.getMessage(), e);
            }
        }
        finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void extractFolder(String path, FileHandler handler)
            throws EngineException
    {
        requireNonNull(handler, "handler is null");
        lock.readLock().lock();
        try {
            checkNotDisposed();
            Path folder = workDir.resolve(path);
            if (!Files.isDirectory(folder)) {
                throw new ResourceNotFoundException("\"" + path + "\" is not a folder");
            }
            List<String> files = listFiles(folder);
            feed(files, relative ->
                    Files.newInputStream(folder.resolve(relative), StandardOpenOption.READ,
                    LinkOption.NOFOLLOW_LINKS), handler);
        }
        finally {
            lock.readLock().unlock();
        }
    }

    @Override
    protected void release()
            throws EngineException
    {
        lock.writeLock().lock();
        try {
            awaitShells.run();
            try {
                engine.release(confinement, context);
            }
            finally {
                engine.discardWorkDir(workDir, context);
            }
        }
        finally {
            slot.release();
            lock.writeLock().unlock();
        }
    }

    private List<String> listFiles(Path folder)
            throws EngineException
    {
        List<String> files = new ArrayList<>();
        try {
            Files.walkFileTree(folder, EnumSet.noneOf(FileVisitOption.class), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                {
                    if (attributes.isRegularFile()) {
                        files.add(relative(folder, file));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException error)
                {
                    engine.logger().warn("{}: skipping unreadable {} during extraction",
                            ProcessEngine.label(context), file, error);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (IOException e) {
            throw new ResourceNotFoundException("cannot list the folder: " + e.getMessage(), e);
        }
        Collections.sort(files);
        return files;
    }

    private static String relative(Path folder, Path file)
    {
        Path relative = folder.relativize(file);
        StringBuilder out = new StringBuilder();
        for (Path name : relative) {
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(name);
        }
        return out.toString();
    }

    @Override
    public String toString()
    {
        return "result of " + ProcessEngine.label(context) + ": " + termination();
    }
}
