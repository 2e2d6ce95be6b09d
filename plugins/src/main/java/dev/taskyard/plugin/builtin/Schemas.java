package dev.taskyard.plugin.builtin;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.schema.JsonSchema;

/** Helpers shared by the built-in plugins. */
final class Schemas
{
    /** An environment variable name, as every built-in engine accepts it. */
    static final String ENV_NAME = "^[A-Za-z_][A-Za-z0-9_]*$";

    private Schemas() {}

    /** Loads {@code name} from the resources next to the built-in plugins. */
    static JsonSchema resource(String name)
    {
        return JsonSchema.fromResource(Schemas.class, name);
    }

    /** A duration given in (possibly fractional) seconds. */
    static Duration seconds(JsonNode value)
    {
        return Duration.ofNanos((long) (value.asDouble() * 1_000_000_000L));
    }

    /** Renders a duration as seconds, e.g. {@code 1.5 s}. */
    static String render(Duration duration)
    {
        double seconds = duration.toNanos() / 1e9;
        return (seconds == Math.rint(seconds) ? String.valueOf((long) seconds) : String.valueOf(seconds)) + " s";
    }
}
