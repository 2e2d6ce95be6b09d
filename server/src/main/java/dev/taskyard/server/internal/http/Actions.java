package dev.taskyard.server.internal.http;

import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * The named actions of the config section {@code actions}: an object from action name ({@link Action#NAME}) to
 * {@code {description?, input, task, inputFile?, inputEnv?}}. Immutable; iteration follows the config's order.
 */
public final class Actions
{
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    /**
     * The draft 2020-12 meta-schema (bundled with the validator, not fetched), which every input schema must satisfy.
     */
    private static final JsonSchema META_SCHEMA =
            JsonSchema.parse("{\"$ref\": \"https://json-schema.org/draft/2020-12/schema\"}");
    private static final Set<String> KEYS = Set.of("description", "input", "task", "inputFile", "inputEnv");

    private final Map<String, Action> byName;

    private Actions(Map<String, Action> byName)
    {
        this.byName = Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    /** No actions. */
    public static Actions none()
    {
        return new Actions(Map.of());
    }

    /** The given actions, by name. */
    public static Actions of(Collection<Action> actions)
    {
        Map<String, Action> map = new LinkedHashMap<>();
        actions.forEach(a -> map.put(a.name(), a));
        return new Actions(map);
    }

    /**
     * Reads the {@code actions} section (missing or null: none).
     *
     * @throws IllegalArgumentException naming the action and the JSON path of the first problem, e.g.
     * {@code $.actions.word-count.input: the schema does not compile: …}
     */
    public static Actions parse(JsonNode section)
    {
        if (section == null || section.isMissingNode() || section.isNull()) {
            return none();
        }
        if (!section.isObject()) {
            throw new IllegalArgumentException("$.actions: must be an object from action name to action");
        }
        Map<String, Action> actions = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = section.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            actions.put(field.getKey(), parseOne(field.getKey(), field.getValue()));
        }
        return new Actions(actions);
    }

    private static Action parseOne(String name, JsonNode node)
    {
        String at = "$.actions." + name;
        if (!Action.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(at + ": action name \"" + name + "\" does not match "
                    + Action.NAME.pattern());
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(at + ": must be an object with input and task");
        }
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException(at + "." + key
                        + ": unknown key (allowed: description, input, task, inputFile, inputEnv)");
            }
        }
        JsonNode description = node.path("description");
        if (!description.isMissingNode() && !description.isTextual()) {
            throw new IllegalArgumentException(at + ".description: must be a string");
        }
        JsonNode inputNode = node.path("input");
        if (!inputNode.isObject() && !inputNode.isBoolean()) {
            throw new IllegalArgumentException(at + ".input: required, a JSON Schema (object)");
        }
        List<Violation> invalid = META_SCHEMA.validate(inputNode);
        if (!invalid.isEmpty()) {
            Violation first = invalid.get(0);
            throw new IllegalArgumentException(at + ".input" + first.path().substring(1)
                    + ": not a valid JSON Schema (draft 2020-12): " + first.message());
        }
        JsonSchema input;
        try {
            input = JsonSchema.of(inputNode);
            input.validate(NullNode.getInstance());
        }
        catch (RuntimeException e) {
            throw new IllegalArgumentException(at + ".input: the schema does not compile: " + e.getMessage(), e);
        }
        JsonNode task = node.path("task");
        if (!task.isObject()) {
            throw new IllegalArgumentException(at + ".task: required, a task payload template (object)");
        }
        Optional<String> inputFile = optionalText(node, "inputFile", at);
        Optional<String> inputEnv = optionalText(node, "inputEnv", at);
        if (inputFile.isPresent()) {
            String file = inputFile.get();
            if (!FILE_NAME.matcher(file).matches() || file.equals("..") || file.startsWith("../")
                    || file.contains("/../") || file.endsWith("/..")) {
                throw new IllegalArgumentException(at
                        + ".inputFile: must be a relative path inside the work folder (letters, digits, . _ - and /)");
            }
            JsonNode command = task.path("command");
            if (!command.isArray() || command.isEmpty()) {
                throw new IllegalArgumentException(at
                        + ".task.command: inputFile needs a command (an array of strings) to wrap");
            }
            for (JsonNode argument : command) {
                if (!argument.isTextual()) {
                    throw new IllegalArgumentException(at + ".task.command: inputFile needs a command of strings");
                }
            }
        }
        if (inputEnv.isPresent() && !ENV_NAME.matcher(inputEnv.get()).matches()) {
            throw new IllegalArgumentException(at
                    + ".inputEnv: must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
        }
        if (task.has("env") && !task.get("env").isObject()) {
            throw new IllegalArgumentException(at + ".task.env: must be an object");
        }
        if (inputFile.isEmpty() && inputEnv.isEmpty()) {
            inputEnv = Optional.of(Action.DEFAULT_ENV);
        }
        return new Action(name, description.asText(""), input, (ObjectNode) task, inputFile, inputEnv);
    }

    private static Optional<String> optionalText(JsonNode node, String key, String at)
    {
        JsonNode value = node.path(key);
        if (value.isMissingNode() || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException(at + "." + key + ": must be a non-empty string");
        }
        return Optional.of(value.asText());
    }

    public Optional<Action> get(String name)
    {
        return Optional.ofNullable(byName.get(requireNonNull(name, "name is null")));
    }

    public Collection<Action> all()
    {
        return byName.values();
    }

    /** The listing of {@code GET /v1/actions}: {@code {actions: [{name, description, input}]}}. */
    public ObjectNode view()
    {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode list = body.putArray("actions");
        byName.values().forEach(a -> list.addObject().put("name", a.name()).put("description", a.description())
                .set("input", a.input().document()));
        return body;
    }
}
