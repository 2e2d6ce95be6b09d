package dev.taskyard.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Option;

/**
 * The CLI's client of a {@code taskyard serve} (JDK {@link HttpClient}); a picocli mixin with {@code --server} and
 * {@code --token}. Every failure is an {@link IllegalStateException} whose message is one clear line, e.g.
 * {@code 404 Not Found: no task X} or {@code cannot reach http://127.0.0.1:8080: connection refused}.
 */
public final class ApiClient
{
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--server", paramLabel = "URL", description = "The server (default: $TASKYARD_SERVER or http://127.0.0.1:8080).")
    String server;

    @Option(names = "--token", paramLabel = "T", description = "Bearer token (default: $TASKYARD_TOKEN, else ./taskyard-data/api-token).")
    String token;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    String baseUrl()
    {
        String url = server != null ? server : System.getenv().getOrDefault("TASKYARD_SERVER", "http://127.0.0.1:8080");
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private String token()
    {
        if (token != null) {
            return token;
        }
        String env = System.getenv("TASKYARD_TOKEN");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        Path file = Path.of("taskyard-data", "api-token");
        try {
            return Files.readString(file).trim();
        }
        catch (IOException e) {
            throw new IllegalStateException("no token: give --token, set TASKYARD_TOKEN, or run where ./taskyard-data/api-token is readable");
        }
    }

    HttpRequest.Builder request(String path)
    {
        URI uri;
        try {
            uri = URI.create(baseUrl() + path);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalStateException("invalid server URL " + baseUrl() + ": " + e.getMessage());
        }
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token()).timeout(Duration.ofMinutes(2));
    }

    /** Sends and returns the JSON answer; a problem answer becomes the exception. */
    JsonNode json(HttpRequest request)
    {
        HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 400) {
            throw problem(response.statusCode(), response.body());
        }
        try {
            return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
        }
        catch (IOException e) {
            throw new IllegalStateException("the server answered " + response.statusCode() + " with something that is not JSON");
        }
    }

    /** Sends and returns the streamed body; a problem answer becomes the exception. */
    InputStream stream(HttpRequest request)
    {
        HttpResponse<InputStream> response = send(request, HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 400) {
            try (InputStream in = response.body()) {
                throw problem(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            catch (IOException e) {
                throw new IllegalStateException("the server answered " + response.statusCode());
            }
        }
        return response.body();
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
    {
        try {
            return client.send(request, handler);
        }
        catch (ConnectException e) {
            throw new IllegalStateException("cannot reach " + baseUrl() + ": connection refused (is taskyard serve running?)");
        }
        catch (IOException e) {
            throw new IllegalStateException("cannot reach " + baseUrl() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private static IllegalStateException problem(int status, String body)
    {
        try {
            JsonNode problem = JSON.readTree(body);
            List<String> errors = new ArrayList<>();
            problem.path("errors").forEach(e -> errors.add(e.path("path").asText() + ": " + e.path("message").asText()));
            return new IllegalStateException(status + " " + problem.path("title").asText() + ": " + problem.path("detail").asText()
                    + (errors.isEmpty() ? "" : " (" + String.join("; ", errors) + ")"));
        }
        catch (IOException | RuntimeException e) {
            return new IllegalStateException("the server answered " + status);
        }
    }
}
