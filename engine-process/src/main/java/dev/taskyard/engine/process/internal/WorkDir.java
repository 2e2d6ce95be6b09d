package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResourceTracker;
import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * The private folder of one task: its current directory, {@code HOME}, and (in {@code .tmp}) its {@code TMPDIR}.
 * Created fresh for every task (mode 700) under the engine's root folder and tracked as a {@code work-dir}
 * resource until it is {@linkplain #delete() deleted} or {@linkplain #keep() kept}.
 *
 * <p>Artifact paths are relative to it: see {@link #resolve(String)}. Thread-safe.
 */
final class WorkDir
{
    static final String TMP = ".tmp";

    private static final Set<PosixFilePermission> OWNER_ALL = EnumSet.of(
            PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

    private final Path path;
    private final ResourceTracker.Resource resource;
    private final AtomicBoolean gone = new AtomicBoolean();

    private WorkDir(Path path, ResourceTracker.Resource resource)
    {
        this.path = path;
        this.resource = resource;
    }

    /**
     * Creates a new work dir (and its {@code .tmp}) under {@code root}, named after the task for debugging.
     *
     * @param root a real path (no symbolic links), so that the work dir's path is real as well
     */
    static WorkDir create(Path root, String taskId, String runId, ResourceTracker tracker)
            throws IOException
    {
        Path created = Files.createTempDirectory(root, safe(taskId) + "-" + safe(runId) + "-");
        try {
            Files.createDirectory(created.resolve(TMP));
        }
        catch (IOException e) {
            deleteTree(created);
            throw e;
        }
        return new WorkDir(created, tracker.acquire("work-dir", created.toString()));
    }

    /** A work dir an earlier engine instance created, taken over by a recovered sandbox of this one. */
    static WorkDir adopt(Path path, ResourceTracker tracker)
    {
        return new WorkDir(path, tracker.acquire("work-dir", path.toString()));
    }

    /** Releases the tracker entry without deleting anything (the work dir stays its task's). Idempotent. */
    void release()
    {
        if (gone.compareAndSet(false, true)) {
            resource.release();
        }
    }

    /**
     * Makes the work dir, its {@code .tmp} and the folders from it down to {@code directory} the account's own (the
     * work dir keeps mode 700: nobody else gets in).
     */
    void handTo(Users.Account account, Path directory)
            throws IOException
    {
        for (Path folder = directory; folder.startsWith(path); folder = folder.getParent()) {
            chown(folder, account);
        }
        chown(tmp(), account);
    }

    private static void chown(Path file, Users.Account account)
            throws IOException
    {
        Files.setAttribute(file, "unix:uid", (int) account.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(file, "unix:gid", (int) account.gid(), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Lets other accounts search (never list) {@code root} and every folder above it: adds {@code o+x} where it is
     * missing, logging each change, so a task account can reach its work dir by its absolute path.
     */
    static void makeSearchable(Path root, Logger logger)
            throws IOException
    {
        // the root itself: searchable, not listable (tasks must not learn each other's work dirs)
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        for (Path folder = root.getParent(); folder != null; folder = folder.getParent()) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(folder);
            if (!permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                Set<PosixFilePermission> searchable = EnumSet.copyOf(permissions);
                searchable.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(folder, searchable);
                logger.info("process engine: made {} searchable by task accounts (o+x, for their work dirs)", folder);
            }
        }
    }

    /** The real (symlink-free) absolute path. */
    Path path()
    {
        return path;
    }

    Path tmp()
    {
        return path.resolve(TMP);
    }

    /**
     * Resolves an artifact path: relative to the work dir, {@code /}-separated; empty segments and {@code .} are
     * ignored, so {@code folder}, {@code folder/} and {@code ./folder} are the same, and {@code ""} is the work dir.
     *
     * @return the real path of the existing file or folder
     * @throws MalformedPayloadException the path is absolute, has a {@code ..} segment or a NUL, or resolves
     *         (through symbolic links) outside the work dir
     * @throws ResourceNotFoundException nothing exists at the path
     */
    Path resolve(String artifact)
            throws MalformedPayloadException, ResourceNotFoundException
    {
        Path lexical = lexical(artifact, "artifact path");
        Path real;
        try {
            real = lexical.toRealPath();
        }
        catch (NoSuchFileException e) {
            checkExistingAncestorInside(artifact, lexical);
            throw new ResourceNotFoundException("no file or folder at \"" + artifact + "\" in the task's work dir");
        }
        catch (IOException e) {
            throw new ResourceNotFoundException("cannot access \"" + artifact
                    + "\" in the task's work dir: " + e.getMessage(), e);
        }
        if (!real.startsWith(path)) {
            throw new MalformedPayloadException("the path \"" + artifact
                    + "\" leads outside the task's work dir through a symbolic link");
        }
        return real;
    }

    /**
     * The lexical resolution of a relative path below the work dir, without touching the file system.
     *
     * @throws MalformedPayloadException the path is absolute, has a {@code ..} segment or contains NUL
     */
    Path lexical(String relative, String what)
            throws MalformedPayloadException
    {
        return path.resolve(normalize(relative, what));
    }

    /**
     * Normalizes a relative {@code /}-separated path: empty and {@code .} segments dropped.
     *
     * @throws MalformedPayloadException the path is null, absolute, has a {@code ..} segment or contains NUL
     */
    static String normalize(String relative, String what)
            throws MalformedPayloadException
    {
        if (relative == null) {
            throw new MalformedPayloadException("the " + what + " is missing");
        }
        if (relative.startsWith("/")) {
            throw new MalformedPayloadException("the " + what + " \"" + relative
                    + "\" is absolute; it must be relative to the task's work dir");
        }
        if (relative.indexOf('\0') >= 0) {
            throw new MalformedPayloadException("the " + what + " contains a NUL character");
        }
        StringBuilder normalized = new StringBuilder();
        for (String segment : relative.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw new MalformedPayloadException("the " + what + " \"" + relative
                        + "\" has a '..' segment; it must stay inside the task's work dir");
            }
            if (normalized.length() > 0) {
                normalized.append('/');
            }
            normalized.append(segment);
        }
        return normalized.toString();
    }

    /** Deletes the folder and everything in it (never following links) and releases the tracker entry. Idempotent. */
    void delete()
            throws IOException
    {
        if (gone.get()) {
            return;
        }
        try {
            // the common case, a task that left nothing behind: two rmdir calls instead of a tree walk
            Files.delete(tmp());
            Files.delete(path);
        }
        catch (IOException notEmpty) {
            deleteTree(path);
        }
        if (gone.compareAndSet(false, true)) {
            resource.release();
        }
    }

    /** Leaves the folder in place (for debugging) and releases the tracker entry. Idempotent. */
    void keep()
    {
        if (gone.compareAndSet(false, true)) {
            resource.release();
        }
    }

    boolean isGone()
    {
        return gone.get();
    }

    @Override
    public String toString()
    {
        return path.toString();
    }

    private void checkExistingAncestorInside(String artifact, Path lexical)
            throws MalformedPayloadException
    {
        for (Path ancestor = lexical.getParent(); ancestor != null
                && ancestor.startsWith(path); ancestor = ancestor.getParent()) {
            try {
                if (!ancestor.toRealPath().startsWith(path)) {
                    throw new MalformedPayloadException("the path \"" + artifact
                            + "\" leads outside the task's work dir through a symbolic link");
                }
                return;
            }
            catch (IOException e) {
                // missing as well: look further up
            }
        }
    }

    private static String safe(String id)
    {
        String cleaned = id.replaceAll("[^A-Za-z0-9_.-]", "_");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
    }

    /** Deletes a tree without following links; makes folders the task locked writable and searchable first. */
    static void deleteTree(Path root)
            throws IOException
    {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>()
        {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes)
                    throws IOException
            {
                unlock(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                    throws IOException
            {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException error)
                    throws IOException
            {
                if (error instanceof AccessDeniedException
                        && Files.isDirectory(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    unlock(file);
                    deleteTree(file);
                    return FileVisitResult.CONTINUE;
                }
                if (error instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw error;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException error)
                    throws IOException
            {
                if (error != null && !(error instanceof NoSuchFileException)) {
                    throw error;
                }
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void unlock(Path dir)
            throws IOException
    {
        Set<PosixFilePermission> permissions =
                Files.getPosixFilePermissions(requireNonNull(dir), java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (!permissions.containsAll(OWNER_ALL)) {
            Set<PosixFilePermission> unlocked = EnumSet.copyOf(OWNER_ALL); // copyOf(permissions) fails for mode 000
            unlocked.addAll(permissions);
            Files.setPosixFilePermissions(dir, unlocked);
        }
    }
}
