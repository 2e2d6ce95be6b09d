package dev.taskyard.engine.docker.internal;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import dev.taskyard.engine.MalformedPayloadException;

/**
 * The artifact path rules of the Docker engine. Paths name files inside the container: absolute, {@code /}-separated,
 * without empty, {@code .} or {@code ..} segments and without a trailing slash, e.g. {@code /work/out/report.txt};
 * at most {@value #MAX_PATH_BYTES} bytes (UTF-8), each segment at most {@value #MAX_SEGMENT_BYTES} (Linux's
 * {@code PATH_MAX} and {@code NAME_MAX}: the daemon could not look up a longer one).
 */
final class ArtifactPaths
{
    static final int MAX_PATH_BYTES = 4095;
    static final int MAX_SEGMENT_BYTES = 255;

    private ArtifactPaths() {}

    /**
     * Checks a path given by a plugin.
     *
     * @throws MalformedPayloadException the path breaks a rule; the message says which
     */
    static String validate(String path)
            throws MalformedPayloadException
    {
        if (path == null || path.isEmpty()) {
            throw new MalformedPayloadException("invalid artifact path: it is empty");
        }
        if (!path.startsWith("/")) {
            throw invalid(path, "it must be absolute, e.g. /work/out/report.txt");
        }
        if (path.indexOf('\0') >= 0) {
            throw invalid(path, "it contains NUL");
        }
        if (path.length() > 1 && path.endsWith("/")) {
            throw invalid(path, "it must not end with /");
        }
        if (path.equals("/")) {
            throw invalid(path, "the root of the container cannot be extracted");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            throw invalid(path, "it is longer than " + MAX_PATH_BYTES + " bytes");
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw invalid(path, "it must not contain empty, . or .. segments");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw invalid(path, "a segment is longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
        }
        return path;
    }

    /**
     * The path of an archive entry relative to the extracted folder, or empty when the entry would escape it (an
     * absolute name, a {@code ..} segment) or names the folder itself.
     *
     * @param entryName the entry's name in the archive, e.g. {@code out/sub/file.txt}
     * @param rootName the name of the archive's first entry, the folder itself, e.g. {@code out/}
     */
    static Optional<String> relativeEntry(String entryName, String rootName)
    {
        if (!entryName.startsWith(rootName)) {
            return Optional.empty();
        }
        String relative = entryName.substring(rootName.length());
        while (relative.endsWith("/")) {
            relative = relative.substring(0, relative.length() - 1);
        }
        if (relative.isEmpty() || relative.startsWith("/") || relative.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
        }
        return Optional.of(relative);
    }

    /** The folder holding {@code path}, {@code /} for a top-level one. */
    static String parent(String path)
    {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    private static MalformedPayloadException invalid(String path, String rule)
    {
        String shown = path.length() > 200 ? path.substring(0, 200) + "… (" + path.length() + " characters)" : path;
        return new MalformedPayloadException("invalid artifact path \"" + shown + "\": " + rule);
    }
}
