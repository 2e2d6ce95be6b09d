package dev.taskyard.server.internal;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The task payload of {@code run} and {@code submit}, a picocli mixin: {@code --payload JSON}, or a command given
 * after {@code --}. Not thread-safe (filled by picocli, read once).
 */
public final class PayloadOptions
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Option(names = "--payload", description = "The whole task payload as JSON, instead of a command.")
    String payload;

    @Parameters(paramLabel = "CMD", description = "The command and its arguments (use -- before it).")
    List<String> command = new ArrayList<>();

    /**
     * The payload parsed, or {@code {"command": [...]}}.
     *
     * @param commandName the CLI command, for the messages
     * @throws IllegalArgumentException both or neither are given, or the payload is not a JSON object
     */
    ObjectNode payload(String commandName)
    {
        if (payload != null) {
            if (!command.isEmpty()) {
                throw new IllegalArgumentException("give either --payload or a command, not both");
            }
            JsonNode node;
            try {
                node = MAPPER.readTree(payload);
            }
            catch (JsonProcessingException e) {
                throw new IllegalArgumentException("--payload is not JSON: " + e.getOriginalMessage());
            }
            if (!(node instanceof ObjectNode object)) {
                throw new IllegalArgumentException("--payload must be a JSON object");
            }
            return object;
        }
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no command given: taskyard " + commandName + " -- CMD [ARG…]");
        }
        ObjectNode node = MAPPER.createObjectNode();
        ArrayNode argv = node.putArray("command");
        command.forEach(argv::add);
        return node;
    }
}
