package dev.taskyard.server.internal.console;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the console on the public API: every route of {@code js/api.js} is a path and method of the OpenAPI document
 * {@code /v1/openapi.json}, {@code api.js} is the only file that calls {@code fetch}, no other file names an API path,
 * and every route is used by some view.
 */
class ConsoleApiRoutesTest
{
    private static final Pattern ROUTE = Pattern.compile("(\\w+): \\['(GET|POST|PUT|PATCH|DELETE)', '([^']+)'\\]");
    private static final Pattern IMPORT = Pattern.compile("(?:import|from)\\s+['\"](\\.{1,2}/[^'\"]+)['\"]");
    private static final Pattern API_PATH = Pattern.compile("['\"`]/(?:v1|metrics|healthz)\\b");

    static String read(String name)
            throws Exception
    {
        try (InputStream in = ConsoleApiRoutesTest.class.getResourceAsStream(ConsoleAssets.ROOT + name)) {
            assertThat(in).as("console file %s", name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The console's own scripts: js/main.js and everything it imports, transitively (the vendored libraries excluded).
     * */
    static Map<String, String> scripts()
            throws Exception
    {
        Map<String, String> scripts = new LinkedHashMap<>();
        List<String> todo = new ArrayList<>(List.of("js/main.js"));
        while (!todo.isEmpty()) {
            String name = todo.remove(0);
            if (scripts.containsKey(name) || name.startsWith("vendor/")) {
                continue;
            }
            String text = read(name);
            scripts.put(name, text);
            Matcher imports = IMPORT.matcher(text);
            while (imports.find()) {
                todo.add(java.nio.file.Path.of(name).resolveSibling(imports.group(1)).normalize().toString());
            }
        }
        return scripts;
    }

    static Map<String, String[]> routes()
            throws Exception
    {
        Map<String, String[]> routes = new LinkedHashMap<>();
        Matcher matcher = ROUTE.matcher(read("js/api.js"));
        while (matcher.find()) {
            routes.put(matcher.group(1), new String[] {matcher.group(2), matcher.group(3)});
        }
        return routes;
    }

    @Test
    void everyRouteOfTheConsoleIsInTheOpenApiDocument()
            throws Exception
    {
        JsonNode document;
        try (InputStream in = ConsoleApiRoutesTest.class.getResourceAsStream("/dev/taskyard/server/openapi.json")) {
            document = new ObjectMapper().readTree(in);
        }
        Map<String, String[]> routes = routes();
        assertThat(routes).hasSizeGreaterThanOrEqualTo(10);
        List<String> missing = new ArrayList<>();
        routes.forEach((name, route) -> {
            JsonNode operation = document.path("paths").path(route[1]).path(route[0].toLowerCase());
            if (!operation.isObject()) {
                missing.add(name + " = " + route[0] + " " + route[1]);
            }
        });
        assertThat(missing).as("console routes missing from /v1/openapi.json").isEmpty();
    }

    @Test
    void onlyApiJsCallsFetchOrNamesAnApiPath()
            throws Exception
    {
        Map<String, String> scripts = scripts();
        assertThat(scripts).containsKeys("js/api.js", "js/tasks.js", "js/task.js", "js/submit.js", "js/dashboard.js");
        List<String> offenders = new ArrayList<>();
        scripts.forEach((name, text) -> {
            if (name.equals("js/api.js")) {
                return;
            }
            if (text.contains("fetch(") || text.contains("XMLHttpRequest") || text.contains("EventSource")
                    || text.contains("WebSocket")) {
                offenders.add(name + " talks to the server itself");
            }
            if (API_PATH.matcher(text).find()) {
                offenders.add(name + " names an API path");
            }
        });
        String api = scripts.get("js/api.js");
        assertThat(api.split("fetch\\(", -1)).as("one fetch call in api.js").hasSize(2);
        assertThat(API_PATH.matcher(api.replaceAll("(?s)export const ROUTES = Object.freeze\\(\\{.*?\\}\\);",
                "")).find())
                .as("api.js names API paths only in ROUTES").isFalse();
        assertThat(offenders).isEmpty();
    }

    @Test
    void everyRouteIsUsedAndEveryUseIsARoute()
            throws Exception
    {
        Map<String, String[]> routes = routes();
        Set<String> used = new LinkedHashSet<>();
        Matcher uses = Pattern.compile("ROUTES\\.(\\w+)").matcher(String.join("\n", scripts().values()));
        while (uses.find()) {
            used.add(uses.group(1));
        }
        assertThat(used).isSubsetOf(routes.keySet());
        assertThat(routes.keySet()).isSubsetOf(used);
    }
}
