package dev.taskyard.plugin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * The schema of a whole task payload: the object schemas of the engine and every enabled plugin, merged. Each
 * top-level key belongs to exactly one component; a key claimed by two is a start-up error naming both. Built once
 * at start-up; immutable and thread-safe.
 *
 * <p>{@link #split(JsonNode)} validates a payload and cuts it into one part per component, so that each component
 * sees only its own keys. Every problem is reported with its JSON path and the component it belongs to.
 */
public final class TaskPayloadSchema
{
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final List<Component> components;
    private final Map<String, Integer> owners;
    private final boolean[] validate;
    private final ObjectNode document;

    /**
     * A part of the payload schema.
     *
     * @param name names the component in messages, e.g. {@code engine "mock"} or {@code plugin "env"}
     * @param schema an object schema; its top-level properties are the keys the component claims
     */
    public record Component(String name, JsonSchema schema)
    {
        public Component
        {
            requireNonNull(name, "name is null");
            requireNonNull(schema, "schema is null");
        }
    }

    /**
     * A payload cut into parts.
     *
     * @param parts one object per component, in component order, holding only that component's keys
     * @param problems every violation, as {@code component: $.path: message}; empty when the payload is valid
     * @param invalid for each component, whether its part violates its schema
     */
    public record Split(List<ObjectNode> parts, List<String> problems, boolean[] invalid)
    {
        public boolean isValid()
        {
            return problems.isEmpty();
        }

        public ObjectNode part(int component)
        {
            return parts.get(component);
        }
    }

    private TaskPayloadSchema(List<Component> components, Map<String, Integer> owners,
            boolean[] validate, ObjectNode document)
    {
        this.components = components;
        this.owners = owners;
        this.validate = validate;
        this.document = document;
    }

    /**
     * Merges component schemas.
     *
     * @throws NamingConflictException two components claim the same key (or define the same {@code $defs} entry
     *         differently); the message names the key and both components
     * @throws IllegalArgumentException a schema does not describe an object
     */
    public static TaskPayloadSchema merge(List<Component> components)
            throws NamingConflictException
    {
        List<Component> list = List.copyOf(components);
        Map<String, Integer> owners = new HashMap<>();
        ObjectNode properties = NODES.objectNode();
        Set<String> required = new LinkedHashSet<>();
        ObjectNode defs = NODES.objectNode();
        Map<String, String> defOwners = new HashMap<>();
        boolean[] validate = new boolean[list.size()];
        for (int i = 0; i < list.size(); i++) {
            Component component = list.get(i);
            JsonNode doc = component.schema().document();
            JsonNode type = doc.get("type");
            if (type != null && !"object".equals(type.asText())) {
                throw new IllegalArgumentException("the payload schema of " + component.name()
                        + " must describe an object, not " + type);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("properties").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> property = it.next();
                Integer previous = owners.putIfAbsent(property.getKey(), i);
                if (previous != null) {
                    throw new NamingConflictException("payload key \"" + property.getKey() + "\" is claimed by both "
                            + list.get(previous).name() + " and " + component.name());
                }
                properties.set(property.getKey(), property.getValue());
            }
            doc.path("required").forEach(name -> required.add(name.asText()));
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("$defs").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> def = it.next();
                JsonNode existing = defs.get(def.getKey());
                if (existing != null && !existing.equals(def.getValue())) {
                    throw new NamingConflictException("payload schema definition \"" + def.getKey()
                            + "\" is defined differently by "
                            + defOwners.get(def.getKey()) + " and " + component.name());
                }
                defs.set(def.getKey(), def.getValue());
                defOwners.putIfAbsent(def.getKey(), component.name());
            }
            validate[i] = doc.path("properties").size() > 0 || doc.path("required").size() > 0;
        }
        ObjectNode document = NODES.objectNode();
        document.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        document.put("title", "task payload");
        document.put("type", "object");
        document.set("properties", properties);
        if (!required.isEmpty()) {
            document.set("required", NODES.arrayNode().addAll(required.stream().map(NODES::textNode).toList()));
        }
        if (!defs.isEmpty()) {
            document.set("$defs", defs);
        }
        document.put("additionalProperties", false);
        return new TaskPayloadSchema(list, Map.copyOf(owners), validate, document);
    }

    public List<Component> components()
    {
        return components;
    }

    /** The merged schema document, for operators. */
    public ObjectNode document()
    {
        return document.deepCopy();
    }

    /** The component that claims {@code key}, or -1. */
    public int owner(String key)
    {
        Integer owner = owners.get(key);
        return owner == null ? -1 : owner;
    }

    /**
     * Validates a payload and cuts it into parts. Never throws for a bad payload: problems are in the result. The
     * parts share nodes with {@code payload}, which must not be modified afterwards.
     */
    public Split split(JsonNode payload)
    {
        requireNonNull(payload, "payload is null");
        int n = components.size();
        List<ObjectNode> parts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            parts.add(NODES.objectNode());
        }
        List<String> problems = new ArrayList<>(0);
        boolean[] invalid = new boolean[n];
        if (!payload.isObject()) {
            problems.add("task payload: $: must be a JSON object, not "
                    + payload.getNodeType().toString().toLowerCase());
            java.util.Arrays.fill(invalid, true);
            return new Split(List.copyOf(parts), List.copyOf(problems), invalid);
        }
        Map<String, Boolean> unknown = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = payload.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            Integer owner = owners.get(field.getKey());
            if (owner == null) {
                if (unknown == null) {
                    unknown = new LinkedHashMap<>();
                }
                unknown.put(field.getKey(), true);
            }
            else {
                parts.get(owner).set(field.getKey(), field.getValue());
            }
        }
        if (unknown != null) {
            for (String key : unknown.keySet()) {
                problems.add("task payload: " + path(key) + ": unknown key: no component claims it (known keys: "
                        + new java.util.TreeSet<>(owners.keySet()) + ")");
            }
        }
        for (int i = 0; i < n; i++) {
            if (!validate[i]) {
                continue;
            }
            List<Violation> violations = components.get(i).schema().validate(parts.get(i));
            if (!violations.isEmpty()) {
                invalid[i] = true;
                for (Violation violation : violations) {
                    problems.add(components.get(i).name() + ": " + violation);
                }
            }
        }
        return new Split(parts, problems.isEmpty() ? List.of() : List.copyOf(problems), invalid);
    }

    private static String path(String key)
    {
        return key.matches("[A-Za-z_][A-Za-z0-9_-]*") ? "$." + key : "$['" + key.replace("'", "\\'") + "']";
    }
}
