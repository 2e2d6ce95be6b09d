package dev.taskyard.server.internal.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The console's files on the class path: its own under {@value #ROOT} (including {@code vendor/json-schema/}, copied
 * there from the pinned npm package at build time), and uPlot's under {@code vendor/uplot/}, read from the uPlot
 * WebJar. Names are checked ({@link #NAME}: no {@code ..}, no leading slash, known extensions only) before any
 * lookup. Thread-safe; each file is read once and kept.
 */
public final class ConsoleAssets
{
    /** Where the console's own files are on the class path. */
    public static final String ROOT = "/dev/taskyard/server/console/";
    static final String UPLOT_PREFIX = "vendor/uplot/";
    private static final String UPLOT_POM = "/META-INF/maven/org.webjars.npm/uplot/pom.properties";
    static final Pattern NAME = Pattern.compile("(?:[a-zA-Z0-9_-][a-zA-Z0-9_.-]*/)*[a-zA-Z0-9_-][a-zA-Z0-9_.-]*"
            + "\\.(?:html|js|css|svg|png|ico|json|webmanifest)");
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "webmanifest", "application/manifest+json");

    /** One file: its bytes, media type and strong ETag. */
    public record Asset(byte[] bytes, String contentType, String etag)
    {
    }

    private final String uplotDist;
    private final Map<String, Optional<Asset>> cache = new ConcurrentHashMap<>();

    private ConsoleAssets(String uplotDist)
    {
        this.uplotDist = requireNonNull(uplotDist, "uplotDist is null");
    }

    /** The assets of the class path this class was loaded from. */
    public static ConsoleAssets load()
    {
        Properties pom = new Properties();
        try (InputStream in = ConsoleAssets.class.getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                throw new IllegalStateException("the uPlot WebJar is not on the class path (" + UPLOT_POM + ")");
            }
            pom.load(in);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ConsoleAssets("/META-INF/resources/webjars/uplot/" + pom.getProperty("version") + "/dist/");
    }

    /** The file called {@code name} (relative to {@code /ui/}), if there is one. */
    public Optional<Asset> find(String name)
    {
        if (!NAME.matcher(name).matches() || name.contains("..")) {
            return Optional.empty();
        }
        return cache.computeIfAbsent(name, this::read);
    }

    private Optional<Asset> read(String name)
    {
        String resource = name.startsWith(UPLOT_PREFIX)
                ? uplotDist + name.substring(UPLOT_PREFIX.length())
                : ROOT + name;
        try (InputStream in = ConsoleAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            String extension = name.substring(name.lastIndexOf('.') + 1);
            return Optional.of(new Asset(bytes, TYPES.get(extension), etag(bytes)));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read console file " + resource, e);
        }
    }

    private static String etag(byte[] bytes)
    {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + HexFormat.of().formatHex(digest, 0, 12) + "\"";
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
