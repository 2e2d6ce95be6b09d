package dev.taskyard.engine.schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;

import static java.util.Objects.requireNonNull;

/**
 * A compiled JSON Schema (draft 2020-12, with {@code format} asserted), immutable and safe to share between
 * threads. Every component of taskyard declares its config and payload this way; the host validates before it
 * calls the component.
 */
public final class JsonSchema
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder()
                    .formatAssertionsEnabled(true).build()));

    private final JsonNode document;
    private final Schema schema;

    private JsonSchema(JsonNode document)
    {
        this.document = requireNonNull(document, "document is null").deepCopy();
        this.schema = REGISTRY.getSchema(this.document);
    }

    /** Compiles a schema document; it is copied, so later changes to {@code document} have no effect. */
    public static JsonSchema of(JsonNode document)
    {
        return new JsonSchema(document);
    }

    /** Compiles a schema given as JSON text. */
    public static JsonSchema parse(String json)
    {
        try {
            return new JsonSchema(MAPPER.readTree(requireNonNull(json, "json is null")));
        }
        catch (IOException e) {
            throw new IllegalArgumentException("schema is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Compiles a schema read from a resource stream and closes it. Engines pass their own resources, e.g.
     * {@code JsonSchema.read(MyProvider.class.getResourceAsStream("config.schema.json"), "config.schema.json")}: that
     * works on the module path too, where a module's resources are encapsulated from this one.
     *
     * @param in the stream, or {@code null} when the resource is missing
     * @param name the resource name, for error messages
     * @throws IllegalArgumentException the resource is missing or not valid JSON
     */
    public static JsonSchema read(InputStream in, String name)
    {
        if (in == null) {
            throw new IllegalArgumentException("schema resource not found: " + name);
        }
        try (in) {
            return new JsonSchema(MAPPER.readTree(in));
        }
        catch (IOException e) {
            throw new IllegalArgumentException("schema resource " + name + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Compiles a schema stored as a class-path resource next to {@code anchor}. On the module path the resource must
     * be in an open package; otherwise use {@link #read(InputStream, String)}.
     */
    public static JsonSchema fromResource(Class<?> anchor, String name)
    {
        try (InputStream in = anchor.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("schema resource not found: " + name
                        + " next to " + anchor.getName());
            }
            return new JsonSchema(MAPPER.readTree(in));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read schema resource " + name, e);
        }
    }

    /** The schema that accepts an empty object and nothing else. */
    public static JsonSchema emptyObject()
    {
        return parse("{\"type\":\"object\",\"additionalProperties\":false}");
    }

    /** A copy of the schema document. */
    public JsonNode document()
    {
        return document.deepCopy();
    }

    /** Every violation of this schema by {@code instance}; empty when it is valid. Never {@code null}. */
    public List<Violation> validate(JsonNode instance)
    {
        requireNonNull(instance, "instance is null");
        List<Violation> violations = new ArrayList<>();
        for (com.networknt.schema.Error error : schema.validate(instance)) {
            violations.add(new Violation(jsonPath(error.getInstanceLocation()),
                    String.valueOf(error.getKeyword()), error.getMessage()));
        }
        return List.copyOf(violations);
    }

    /**
     * A copy of {@code instance} in which each property of this (object) schema that the instance lacks and whose
     * schema has a {@code default} is set to that default; nested objects are left as they are. For binding a
     * validated config section, so that defaults are written in the schema only.
     *
     * @throws IllegalArgumentException the instance is not an object
     */
    public ObjectNode withDefaults(JsonNode instance)
    {
        requireNonNull(instance, "instance is null");
        if (!instance.isObject()) {
            throw new IllegalArgumentException("not an object: " + instance.getNodeType());
        }
        ObjectNode filled = ((ObjectNode) instance).deepCopy();
        document.path("properties").fields().forEachRemaining(property -> {
            JsonNode fallback = property.getValue().get("default");
            if (fallback != null && !filled.has(property.getKey())) {
                filled.set(property.getKey(), fallback.deepCopy());
            }
        });
        return filled;
    }

    /** Formats a path given as segments as a JSONPath, e.g. {@code ["command", 0]} → {@code $.command[0]}. */
    static String jsonPath(NodePath location)
    {
        StringBuilder path = new StringBuilder("$");
        if (location == null) {
            return path.toString();
        }
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                path.append('[').append(index).append(']');
            }
            else {
                String name = String.valueOf(element);
                if (name.matches("[A-Za-z_][A-Za-z0-9_-]*")) {
                    path.append('.').append(name);
                }
                else {
                    path.append("['").append(name.replace("\\", "\\\\").replace("'", "\\'")).append("']");
                }
            }
        }
        return path.toString();
    }

    @Override
    public String toString()
    {
        return document.toString();
    }
}
