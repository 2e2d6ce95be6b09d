package dev.taskyard.engine.remote.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.client.PollSettings;
import dev.taskyard.client.RetryPolicy;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * The remote engine's config, read from a document the host already validated against {@code config.schema.json}.
 * The token is kept out of {@link #toString()}.
 *
 * @param recovery whether the engine declares {@link dev.taskyard.engine.Feature#RECOVERY}: sandboxes give a handle
 *        (the remote server and task id) and a fresh engine re-attaches to the remote task from it
 */
public record RemoteSettings(
        URI baseUrl,
        String token,
        int maxConcurrency,
        Duration requestTimeout,
        RetryPolicy retryPolicy,
        PollSettings poll,
        Duration unreachableTimeout,
        Duration abortTimeout,
        boolean deleteFinishedTasks,
        boolean recovery)
{
    public RemoteSettings
    {
        requireNonNull(baseUrl, "baseUrl is null");
        requireNonNull(token, "token is null");
        requireNonNull(requestTimeout, "requestTimeout is null");
        requireNonNull(retryPolicy, "retryPolicy is null");
        requireNonNull(poll, "poll is null");
        requireNonNull(unreachableTimeout, "unreachableTimeout is null");
        requireNonNull(abortTimeout, "abortTimeout is null");
    }

    /** Reads a validated config; only a token file that cannot be read is still refused here. */
    public static RemoteSettings from(JsonNode config)
            throws InvalidConfigException
    {
        requireNonNull(config, "config is null");
        String token = config.hasNonNull("token") ? config.get("token").asText()
                : readTokenFile(config.path("tokenFile").asText());
        JsonNode retry = config.path("retry");
        long initial = retry.path("initialBackoffMillis").asLong(200);
        long max = Math.max(initial, retry.path("maxBackoffMillis").asLong(2000));
        RetryPolicy policy = RetryPolicy.builder()
                .maxAttempts(retry.path("maxAttempts").asInt(RetryPolicy.DEFAULT_MAX_ATTEMPTS))
                .backoff(Duration.ofMillis(initial), Duration.ofMillis(max))
                .build();
        JsonNode poll = config.path("poll");
        long minInterval = poll.path("minIntervalMillis").asLong(100);
        long maxInterval = Math.max(minInterval, poll.path("maxIntervalMillis").asLong(5000));
        PollSettings pollSettings = new PollSettings(Duration.ofMillis(minInterval), Duration.ofMillis(maxInterval),
                Duration.ofSeconds(poll.path("longPollSeconds").asLong(20)));
        return new RemoteSettings(
                URI.create(config.path("baseUrl").asText()),
                token,
                config.path("maxConcurrency").asInt(32),
                seconds(config.path("requestTimeoutSeconds").asDouble(30)),
                policy,
                pollSettings,
                seconds(config.path("unreachableTimeoutSeconds").asDouble(300)),
                seconds(config.path("abortTimeoutSeconds").asDouble(60)),
                config.path("deleteFinishedTasks").asBoolean(false),
                config.path("recovery").asBoolean(false));
    }

    /** A client for the remote server with these settings. */
    public TaskyardClient newClient()
    {
        return TaskyardClient.builder()
                .baseUrl(baseUrl)
                .token(token)
                .requestTimeout(requestTimeout)
                .retryPolicy(retryPolicy)
                .pollSettings(poll)
                .build();
    }

    private static String readTokenFile(String file)
            throws InvalidConfigException
    {
        try {
            return Files.readAllLines(Path.of(file)).stream()
                    .map(String::trim)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#"))
                    .findFirst()
                    .orElseThrow(() -> new IOException("it holds no token"));
        }
        catch (IOException | RuntimeException e) {
            throw new InvalidConfigException("remote engine",
                    List.of(new Violation("$.tokenFile", "file", "cannot read the token from " + file
                    + ": " + e.getMessage())));
        }
    }

    private static Duration seconds(double seconds)
    {
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    @Override
    public String toString()
    {
        return "RemoteSettings[baseUrl=" + baseUrl + ", token=<secret>, maxConcurrency=" + maxConcurrency
                + ", requestTimeout=" + requestTimeout
                + ", " + retryPolicy + ", " + poll + ", unreachableTimeout=" + unreachableTimeout
                        + ", abortTimeout=" + abortTimeout
                + ", deleteFinishedTasks=" + deleteFinishedTasks + ", recovery=" + recovery + "]";
    }
}
