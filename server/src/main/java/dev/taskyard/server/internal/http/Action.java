package dev.taskyard.server.internal.http;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * One named action of the config: a JSON Schema for the request body and a task payload template.
 *
 * <p>{@link #payload(JsonNode)} builds the task payload from a valid input: a deep copy of the template, then
 * <ul>
 * <li>with {@code inputEnv}: the payload's {@code env} object (the built-in {@code env} plugin) gets that variable set
 * to the input as compact JSON, over any value the template had for it;</li>
 * <li>with {@code inputFile}: the template's {@code command} (required then, an array of strings) is wrapped as
 * {@code ["sh", "-c", "printf '%s' \"$1\" > \"$2\" && shift 2 && exec \"$@\"", "sh", INPUT, FILE, ...command]}, so the
 * task writes the input (compact JSON, no trailing newline) to {@code FILE}, relative to the folder the command runs
 * in (the work folder, or the payload's {@code workingFolder}), and then runs the
 * original command with its arguments unchanged. The input travels as one argument, so it is bounded by the
 * system's limit for one argument (128 KiB on Linux).</li>
 * </ul>
 * Without either, {@code inputEnv} defaults to {@link #DEFAULT_ENV}.
 */
public record Action(String name, String description, JsonSchema input, ObjectNode template,
        Optional<String> inputFile, Optional<String> inputEnv)
{
    /** Allowed action names. */
    public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    /** The variable that carries the input when the action names neither a file nor a variable. */
    public static final String DEFAULT_ENV = "ACTION_INPUT";
    static final String WRITE_INPUT = "printf '%s' \"$1\" > \"$2\" && shift 2 && exec \"$@\"";

    public Action
    {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
        requireNonNull(input, "input is null");
        template = requireNonNull(template, "template is null").deepCopy();
        requireNonNull(inputFile, "inputFile is null");
        requireNonNull(inputEnv, "inputEnv is null");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("action name " + name + " does not match " + NAME.pattern());
        }
    }

    /** The violations of {@code body} against the input schema; empty when it is valid. */
    public List<Violation> validate(JsonNode body)
    {
        return input.validate(body);
    }

    /** The task payload for a valid input (see the class comment); the template itself is never changed. */
    public ObjectNode payload(JsonNode body)
    {
        String text = body.toString();
        ObjectNode payload = template.deepCopy();
        if (inputEnv.isPresent()) {
            JsonNode env = payload.path("env");
            ObjectNode target = env.isObject() ? (ObjectNode) env : payload.putObject("env");
            target.put(inputEnv.get(), text);
        }
        if (inputFile.isPresent()) {
            ArrayNode command = Json.MAPPER.createArrayNode().add("sh").add("-c").add(WRITE_INPUT).add("sh")
                    .add(text).add(inputFile.get());
            payload.path("command").forEach(command::add);
            payload.set("command", command);
        }
        return payload;
    }
}
