package dev.taskyard.server.internal.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The route table: path templates such as {@code /v1/tasks/{task_id}/artifacts/{name+}} ({@code +} matches slashes),
 * each with a handler per method. Immutable once built; the OpenAPI document is checked against {@link #templates()}.
 *
 * <p>Routes match the <em>raw</em> (still percent-encoded) path, and each parameter is decoded on its own
 * ({@link #decode}): a task id {@code a/log} arrives as {@code a%2Flog} and must not be read as the log of task
 * {@code a}, nor an id with {@code %} or {@code ?} be decoded twice.
 */
public final class Routes
{
    /** Answers one route; completes the exchange itself, or throws an {@link ApiProblem}. */
    @FunctionalInterface
    public interface Handler
    {
        void handle(Exchange exchange, List<String> parameters)
                throws Exception;
    }

    /** A matched route. */
    public record Match(String template, Map<String, Handler> methods, List<String> parameters)
    {
        /** The methods of the route for an {@code Allow} header: its own, and HEAD wherever there is GET. */
        public String allow()
        {
            TreeSet<String> allowed = new TreeSet<>(methods.keySet());
            if (allowed.contains("GET")) {
                allowed.add("HEAD");
            }
            return String.join(", ", allowed);
        }
    }

    private record Route(String template, Pattern pattern, Map<String, Handler> methods) {}

    private final List<Route> routes = new ArrayList<>();
    /**
     * The routes without parameters by their path, for a lookup without trying every pattern in turn; only those that
     * no route added before them matches (the scan in order would find the earlier one).
     */
    private final Map<String, Route> literals = new HashMap<>();

    /** Adds a handler for {@code method} on {@code template}. */
    public Routes add(String method, String template, Handler handler)
    {
        requireNonNull(handler, "handler is null");
        for (Route route : routes) {
            if (route.template.equals(template)) {
                route.methods.put(method, handler);
                return this;
            }
        }
        String regex = template.replaceAll("\\{[a-z_]+\\+}", "(.+)").replaceAll("\\{[a-z_]+}", "([^/]+)");
        Map<String, Handler> methods = new LinkedHashMap<>();
        methods.put(method, handler);
        Route route = new Route(template, Pattern.compile(regex), methods);
        if (!template.contains("{") && routes.stream().noneMatch(r -> r.pattern.matcher(template).matches())) {
            literals.put(template, route);
        }
        routes.add(route);
        return this;
    }

    /** The route of {@code path} (the request path as sent, percent-encoding kept); its parameters still encoded. */
    public Optional<Match> match(String path)
    {
        Route literal = literals.get(path);
        if (literal != null) {
            return Optional.of(new Match(literal.template, literal.methods, List.of()));
        }
        for (Route route : routes) {
            Matcher matcher = route.pattern.matcher(path);
            if (matcher.matches()) {
                List<String> parameters = new ArrayList<>();
                for (int i = 1; i <= matcher.groupCount(); i++) {
                    parameters.add(matcher.group(i));
                }
                return Optional.of(new Match(route.template, route.methods, parameters));
            }
        }
        return Optional.empty();
    }

    /**
     * Percent-decodes path parameters (UTF-8; a {@code +} stays a plus).
     *
     * @throws ApiProblem 400 when one is not validly encoded
     */
    public static List<String> decode(List<String> rawParameters)
    {
        List<String> decoded = new ArrayList<>(rawParameters.size());
        for (String raw : rawParameters) {
            try {
                decoded.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
            catch (IllegalArgumentException e) {
                throw ApiProblem.badRequest("bad-request", "the path segment " + raw
                        + " is not validly percent-encoded");
            }
        }
        return decoded;
    }

    /** Every template with its methods, for the OpenAPI check. */
    public Map<String, List<String>> templates()
    {
        Map<String, List<String>> all = new LinkedHashMap<>();
        routes.forEach(r -> all.put(r.template, List.copyOf(r.methods.keySet())));
        return all;
    }
}
