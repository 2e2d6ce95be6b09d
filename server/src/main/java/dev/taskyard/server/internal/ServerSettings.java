package dev.taskyard.server.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * The {@code server} section of {@code taskyard serve --config}, bound once after validation against
 * {@code server.schema.json}; the defaults are the schema's. An unknown key or a wrongly typed value is a start-up
 * error naming its path, e.g. {@code $.server.maxPendng}.
 */
public record ServerSettings(List<String> tokens, Optional<Path> tokenFile, int maxBodyBytes, int maxStreams,
        int maxAttempts, long maxPending)
{
    public static final JsonSchema SCHEMA = JsonSchema.fromResource(ServerSettings.class, "server.schema.json");

    public ServerSettings
    {
        tokens = List.copyOf(tokens);
        requireNonNull(tokenFile, "tokenFile is null");
    }

    /**
     * Validates and binds the section ({@code null} or missing: all defaults).
     *
     * @throws InvalidConfigException with every violation, paths below {@code $.server}
     */
    public static ServerSettings of(JsonNode section)
            throws InvalidConfigException
    {
        JsonNode node = section == null || section.isMissingNode() || section.isNull()
                ? JsonNodeFactory.instance.objectNode() : section;
        List<Violation> violations = new ArrayList<>();
        for (Violation violation : SCHEMA.validate(node)) {
            violations.add(violation.at("$.server", "server"));
        }
        if (!violations.isEmpty()) {
            throw new InvalidConfigException("server config", violations);
        }
        ObjectNode bound = SCHEMA.withDefaults(node);
        List<String> tokens = new ArrayList<>();
        bound.get("tokens").forEach(token -> tokens.add(token.asText()));
        Optional<Path> tokenFile = bound.has("tokenFile")
                ? Optional.of(Path.of(bound.get("tokenFile").asText())) : Optional.empty();
        return new ServerSettings(tokens, tokenFile, bound.get("maxBodyBytes").asInt(),
                bound.get("maxStreams").asInt(), bound.get("maxAttempts").asInt(), bound.get("maxPending").asLong());
    }
}
