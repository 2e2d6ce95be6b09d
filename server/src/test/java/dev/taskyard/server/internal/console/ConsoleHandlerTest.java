package dev.taskyard.server.internal.console;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.server.internal.http.ApiServer;
import dev.taskyard.store.SqliteTaskStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The console's files as the real server answers them: without a token, with their policy, nothing inline. */
class ConsoleHandlerTest
{
    @TempDir
    Path temp;
    SqliteTaskStore store;
    ApiServer server;
    String base;
    final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void start()
            throws Exception
    {
        store = SqliteTaskStore.Options.builder(temp.resolve("store")).open();
        server = new ApiServer(new ApiServer.Settings("127.0.0.1", 0, List.of("secret"), 1024, 4,
                Duration.ofMillis(20)), store, JsonSchema.parse("{\"type\":\"object\"}"));
        server.start();
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop()
            throws Exception
    {
        server.stop();
        store.close();
    }

    private HttpResponse<String> get(String path, String... headers)
            throws Exception
    {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheConsoleWithoutATokenAndWithAStrictPolicy()
            throws Exception
    {
        HttpResponse<String> index = get("/ui/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        String policy = index.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertThat(policy).contains("default-src 'none'", "script-src 'self'", "style-src 'self'",
                "connect-src 'self'", "frame-ancestors 'none'")
                .doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:", "*");
        assertThat(index.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(index.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(index.body()).contains("<script type=\"module\" src=\"js/main.js\"></script>");

        for (String file : List.of("js/main.js", "js/api.js", "console.css", "favicon.svg",
                "vendor/uplot/uPlot.esm.js", "vendor/uplot/uPlot.min.css",
                "vendor/json-schema/index.js", "vendor/json-schema/validator.js")) {
            HttpResponse<String> asset = get("/ui/" + file);
            assertThat(asset.statusCode()).as(file).isEqualTo(200);
            assertThat(asset.headers().firstValue("Content-Security-Policy")).as(file).hasValue(policy);
        }
        assertThat(get("/ui/js/api.js").headers().firstValue("Content-Type"))
                .hasValue("text/javascript; charset=utf-8");
        assertThat(get("/ui/console.css").headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
    }

    @Test
    void theHtmlHasNoInlineScriptStyleOrHandlers()
            throws Exception
    {
        String html = get("/ui/index.html").body();
        assertThat(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>", Pattern.CASE_INSENSITIVE).matcher(html).find())
                .as("inline script").isFalse();
        assertThat(Pattern.compile("<style|\\sstyle=|\\son[a-z]+=|javascript:",
                Pattern.CASE_INSENSITIVE).matcher(html).find()).as("inline style or handler")
                .isFalse();
        assertThat(Pattern.compile("(src|href)=\"(https?:)?//", Pattern.CASE_INSENSITIVE).matcher(html).find())
                .as("foreign origin").isFalse();
        for (String script : ConsoleApiRoutesTest.scripts().values()) {
            assertThat(script).doesNotContain("innerHTML", "eval(", "new Function", "setAttribute('style'",
                    "localStorage", "document.cookie");
        }
    }

    @Test
    void redirectsRefusesWritesAndUnknownFiles()
            throws Exception
    {
        for (String path : List.of("/", "/ui")) {
            HttpResponse<String> redirect = get(path);
            assertThat(redirect.statusCode()).as(path).isEqualTo(302);
            assertThat(redirect.headers().firstValue("Location")).hasValue("/ui/");
        }
        assertThat(get("/ui/nothing.js").statusCode()).isEqualTo(404);
        assertThat(get("/ui/%2e%2e/openapi.json").statusCode()).isIn(400, 404);
        assertThat(get("/ui/js/main.java").statusCode()).isEqualTo(404);
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create(base + "/ui/"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void etagsRevalidateAndTheApiStillNeedsItsToken()
            throws Exception
    {
        HttpResponse<String> first = get("/ui/js/api.js");
        String etag = first.headers().firstValue("ETag").orElseThrow();
        assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(get("/ui/js/api.js", "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertThat(get("/v1/tasks").statusCode()).isEqualTo(401);
        assertThat(get("/v1/stats").statusCode()).isEqualTo(401);
        assertThat(get("/v1/tasks", "Authorization", "Bearer secret").statusCode()).isEqualTo(200);
    }

    @Test
    void assetNamesAreChecked()
    {
        ConsoleAssets assets = ConsoleAssets.load();
        for (String bad : List.of("../x.js", "a/../b.js", "/etc/passwd", "js/.hidden.js", "", "js/",
                "x.class", "js/main.js/")) {
            assertThat(assets.find(bad)).as(bad).isEmpty();
        }
        assertThat(assets.find("index.html")).isPresent();
        assertThat(assets.find("vendor/uplot/uPlot.esm.js")).isPresent();
    }
}
