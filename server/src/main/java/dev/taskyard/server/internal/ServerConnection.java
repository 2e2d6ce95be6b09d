package dev.taskyard.server.internal;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.taskyard.client.ProblemException;
import dev.taskyard.client.RetriesExhaustedException;
import dev.taskyard.client.SubmitOutcomeUnknownException;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.client.TaskyardException;
import picocli.CommandLine.Option;

/**
 * How a client command reaches a {@code taskyard serve}: a picocli mixin with {@code --server} and {@code --token}
 * that resolves them (flag, else {@code $TASKYARD_SERVER} / {@code $TASKYARD_TOKEN}, else the default URL and the
 * token file of the data folder {@code ./taskyard-data}) and builds one {@link TaskyardClient} for the command.
 * {@link #call} turns every failure of the client into an {@link IllegalStateException} whose message is one clear
 * line, e.g. {@code 404 Not Found: no task X} or
 * {@code cannot reach http://127.0.0.1:8080: connection refused (is taskyard serve running?)}. Not thread-safe while
 * picocli fills it; the client it builds is.
 */
public final class ServerConnection
{
    static final String DEFAULT_SERVER = "http://127.0.0.1:8080";
    static final Path TOKEN_FILE = Path.of("taskyard-data", "api-token");

    @Option(names = "--server", paramLabel = "URL", description = "The server (default: $TASKYARD_SERVER or "
            + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--token", paramLabel = "T",
            description = "Bearer token (default: $TASKYARD_TOKEN, else ./taskyard-data/api-token).")
    String token;

    private final Map<String, String> environment;
    private TaskyardClient client;

    public ServerConnection()
    {
        this(System.getenv());
    }

    ServerConnection(Map<String, String> environment)
    {
        this.environment = Map.copyOf(environment);
    }

    /** The server's base URL, without a trailing slash. */
    String baseUrl()
    {
        String url = server != null ? server : environment.getOrDefault("TASKYARD_SERVER", DEFAULT_SERVER);
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    String token()
    {
        if (token != null) {
            return token;
        }
        String env = environment.get("TASKYARD_TOKEN");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try {
            return Files.readString(TOKEN_FILE).trim();
        }
        catch (IOException e) {
            throw new IllegalStateException("no token: give --token, set TASKYARD_TOKEN, or run where ./"
                    + TOKEN_FILE + " is readable");
        }
    }

    /** The command's client, built on first use. */
    synchronized TaskyardClient client()
    {
        if (client == null) {
            TaskyardClient.Builder builder = TaskyardClient.builder().requestTimeout(Duration.ofMinutes(2));
            try {
                builder.baseUrl(baseUrl());
            }
            catch (IllegalArgumentException e) {
                throw new IllegalStateException("invalid server URL " + baseUrl() + ": " + e.getMessage());
            }
            try {
                builder.token(token());
            }
            catch (IllegalArgumentException e) {
                throw new IllegalStateException("invalid token: " + e.getMessage());
            }
            client = builder.build();
        }
        return client;
    }

    /** Runs {@code call} on the client; a failure becomes an {@link IllegalStateException} with one clear line. */
    <T> T call(Function<TaskyardClient, T> call)
    {
        TaskyardClient taskyard = client();
        try {
            return call.apply(taskyard);
        }
        catch (TaskyardException e) {
            throw new IllegalStateException(describe(e), e);
        }
    }

    /** One line saying what went wrong, for a person at a terminal. */
    String describe(TaskyardException failure)
    {
        if (failure instanceof ProblemException problem) {
            return describe(problem);
        }
        Throwable refused = find(failure, ConnectException.class);
        if (refused != null) {
            return "cannot reach " + baseUrl() + ": connection refused (is taskyard serve running?)";
        }
        if (failure instanceof SubmitOutcomeUnknownException unknown) {
            String cause = unknown.getCause() instanceof TaskyardException known
                    ? describe(known) : unknown.getMessage();
            return cause + "; the task may have been created: submit again with --idempotency-key "
                    + unknown.idempotencyKey();
        }
        if (failure instanceof RetriesExhaustedException exhausted
                && exhausted.getCause() instanceof ProblemException problem) {
            return describe(problem) + " (" + exhausted.attempts() + " attempts)";
        }
        if (find(failure, HttpTimeoutException.class) != null) {
            return "cannot reach " + baseUrl() + ": no answer in time";
        }
        Throwable io = find(failure, IOException.class);
        if (io != null) {
            return "cannot reach " + baseUrl() + ": " + (io.getMessage() == null ? io.toString() : io.getMessage());
        }
        return failure.getMessage();
    }

    /** {@code 400 Bad Request: detail ($.path: message; …)}. */
    static String describe(ProblemException problem)
    {
        List<String> errors = new ArrayList<>();
        problem.errors().forEach(error -> errors.add(error.path() + ": " + error.message()));
        return problem.getMessage() + (errors.isEmpty() ? "" : " (" + String.join("; ", errors) + ")");
    }

    private static Throwable find(Throwable failure, Class<? extends Throwable> type)
    {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return cause;
            }
            for (Throwable suppressed : cause.getSuppressed()) {
                if (type.isInstance(suppressed)) {
                    return suppressed;
                }
            }
        }
        return null;
    }
}
