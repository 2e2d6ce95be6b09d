package dev.taskyard.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.store.SqliteTaskStore;
import dev.taskyard.store.TaskStore;
import dev.taskyard.store.postgres.PostgresTaskStore;

import static java.util.Objects.requireNonNull;

/**
 * Opens the store of {@code serve} from the config: the {@code store} section ({@code type: sqlite}, the embedded
 * default in the data folder, or {@code type: postgresql} with {@code url}, {@code user}, {@code passwordFile},
 * {@code schema}, {@code poolSize}, {@code connectTimeoutSeconds}, {@code retrySeconds}; both take
 * {@code retentionHours}), validated against {@code store.schema.json}, and the limits of the {@code server} section
 * ({@code maxAttempts}, {@code maxPending}). The only place that knows the store implementations. Stateless.
 */
final class StoreFactory
{
    private static final JsonSchema SCHEMA = JsonSchema.fromResource(StoreFactory.class, "store.schema.json");

    private StoreFactory()
    {
    }

    /**
     * Checks a {@code store} section (missing means SQLite) without opening anything.
     *
     * @throws InvalidConfigException every violation, with its path from the config's root ({@code $.store...})
     */
    static void validate(JsonNode section)
            throws InvalidConfigException
    {
        if (section == null || section.isMissingNode()) {
            return;
        }
        List<Violation> violations = SCHEMA.validate(section).stream()
                .map(v -> new Violation("$.store" + v.path().substring(1), v.keyword(), v.message()))
                .toList();
        if (!violations.isEmpty()) {
            throw new InvalidConfigException("store config", violations);
        }
    }

    /**
     * Opens the configured store.
     *
     * @throws InvalidConfigException the section is invalid, or its password file cannot be read
     * @throws IOException the store cannot be opened (for PostgreSQL: the database is unreachable, the message says
     *         where and why)
     */
    static TaskStore open(JsonNode section, ServerSettings server, Path dataFolder)
            throws InvalidConfigException, IOException
    {
        requireNonNull(server, "server is null");
        requireNonNull(dataFolder, "dataFolder is null");
        JsonNode store = section == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : section;
        validate(store);
        int maxAttempts = server.maxAttempts();
        long maxPending = server.maxPending();
        Duration retention = Duration.ofMillis(Math.round(store.path("retentionHours").asDouble(24 * 7) * 3_600_000));
        if (!store.path("type").asText("sqlite").equals("postgresql")) {
            return SqliteTaskStore.Options.builder(dataFolder.resolve("store"))
                    .maxAttempts(maxAttempts)
                    .maxPendingTasks(maxPending)
                    .retention(retention)
                    .open();
        }
        return PostgresTaskStore.Options.builder(store.get("url").asText(), store.get("user").asText(), password(store))
                .schema(store.path("schema").asText("taskyard"))
                .poolSize(store.path("poolSize").asInt(10))
                .connectTimeout(seconds(store, "connectTimeoutSeconds", 5))
                .retryFor(seconds(store, "retrySeconds", 60))
                .maxAttempts(maxAttempts)
                .maxPendingTasks(maxPending)
                .retention(retention)
                .open();
    }

    private static Duration seconds(JsonNode store, String field, double fallback)
    {
        return Duration.ofMillis(Math.round(store.path(field).asDouble(fallback) * 1000));
    }

    private static String password(JsonNode store)
            throws InvalidConfigException
    {
        if (!store.hasNonNull("passwordFile")) {
            return "";
        }
        Path file = Path.of(store.get("passwordFile").asText());
        try {
            return Files.readString(file).strip();
        }
        catch (IOException | RuntimeException e) {
            throw new InvalidConfigException("store config",
                    List.of(new Violation("$.store.passwordFile", "file",
                            "cannot read the password file " + file + ": " + e)));
        }
    }
}
