package dev.taskyard.engine.mock;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FileHandler;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractResultSet;

/** The files a mock task wrote, by absolute path. Thread-safe: the content is immutable. */
final class MockResultSet
        extends AbstractResultSet
{
    private final Map<String, byte[]> files;
    private final Slot slot;
    private final Runnable onRelease;

    MockResultSet(Termination termination, Map<String, byte[]> files, Slot slot, Runnable onRelease)
    {
        super(termination);
        this.files = files;
        this.slot = slot;
        this.onRelease = onRelease;
    }

    @Override
    public InputStream extractFile(String path)
            throws EngineException
    {
        checkNotDisposed();
        validate(path);
        byte[] content = files.get(path);
        if (content == null) {
            throw new ResourceNotFoundException("no file " + path);
        }
        return new ByteArrayInputStream(content);
    }

    @Override
    public void extractFolder(String path, FileHandler handler)
            throws EngineException
    {
        checkNotDisposed();
        validate(path);
        String prefix = path.endsWith("/") ? path : path + "/";
        List<String> below =
                files.keySet().stream().filter(f -> f.startsWith(prefix)).sorted()
                .map(f -> f.substring(prefix.length())).toList();
        if (below.isEmpty()) {
            throw new ResourceNotFoundException("no folder " + path);
        }
        feed(below, relative -> new ByteArrayInputStream(files.get(prefix + relative)), handler);
    }

    @Override
    protected void release()
    {
        onRelease.run();
        slot.release();
    }

    private static void validate(String path)
            throws MalformedPayloadException
    {
        if (path == null || !path.startsWith("/") || path.contains("/../") || path.endsWith("/..")
                || path.contains("//") || path.indexOf('\0') >= 0) {
            throw new MalformedPayloadException("invalid artifact path \"" + path
                    + "\": mock paths are absolute, without '..', empty segments or NUL");
        }
    }
}
