package dev.taskyard.server.internal.console;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import static java.util.Objects.requireNonNull;

/**
 * Serves the web console's static files at {@code /ui/} in front of the API handler it wraps; every other path goes
 * to that handler. The files carry no data and need no token (the console signs in against the API); they are
 * answered with a Content-Security-Policy that allows scripts, styles and connections from this origin only (no
 * inline script or style, no foreign origin), {@code frame-ancestors 'none'}, {@code no-referrer} and
 * {@code Cache-Control: no-cache} (revalidated with the ETag). {@code /} and {@code /ui} redirect to {@code /ui/}.
 * Only GET and HEAD are allowed (405 otherwise). Thread-safe: the files are read once at construction.
 */
public final class ConsoleHandler
        extends Handler.Wrapper
{
    /** Where the console lives. */
    public static final String PREFIX = "/ui/";
    /** The policy of every console file. */
    public static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'";

    private final ConsoleAssets assets;

    public ConsoleHandler(Handler api)
    {
        this(api, ConsoleAssets.load());
    }

    ConsoleHandler(Handler api, ConsoleAssets assets)
    {
        super(requireNonNull(api, "api is null"));
        this.assets = requireNonNull(assets, "assets is null");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback)
            throws Exception
    {
        String path = Request.getPathInContext(request);
        if (path.equals("/") || path.equals("/ui")) {
            if (!isRead(request)) {
                return super.handle(request, response, callback);
            }
            response.setStatus(302);
            response.getHeaders().put(HttpHeader.LOCATION, PREFIX);
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.write(true, null, callback);
            return true;
        }
        if (!path.startsWith(PREFIX)) {
            return super.handle(request, response, callback);
        }
        secure(response);
        if (!isRead(request)) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            text(response, callback, 405, "405 Method Not Allowed: the console's files are read with GET\n");
            return true;
        }
        String name = path.substring(PREFIX.length());
        Optional<ConsoleAssets.Asset> asset = assets.find(name.isEmpty() ? "index.html" : name);
        if (asset.isEmpty()) {
            text(response, callback, 404, "404 Not Found: no console file " + name + "\n");
            return true;
        }
        ConsoleAssets.Asset found = asset.get();
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put(HttpHeader.ETAG, found.etag());
        String ifNoneMatch = request.getHeaders().get(HttpHeader.IF_NONE_MATCH);
        if (ifNoneMatch != null && ifNoneMatch.contains(found.etag())) {
            response.setStatus(304);
            response.write(true, null, callback);
            return true;
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, found.contentType());
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, found.bytes().length);
        response.write(true, ByteBuffer.wrap(found.bytes()), callback);
        return true;
    }

    private static boolean isRead(Request request)
    {
        return request.getMethod().equals("GET") || request.getMethod().equals("HEAD");
    }

    private static void secure(Response response)
    {
        for (Map.Entry<String, String> header : Map.of(
                "Content-Security-Policy", CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options", "nosniff",
                "Referrer-Policy", "no-referrer",
                "X-Frame-Options", "DENY",
                "Cross-Origin-Opener-Policy", "same-origin").entrySet()) {
            response.getHeaders().put(header.getKey(), header.getValue());
        }
    }

    private static void text(Response response, Callback callback, int status, String body)
    {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.write(true, ByteBuffer.wrap(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)), callback);
    }
}
