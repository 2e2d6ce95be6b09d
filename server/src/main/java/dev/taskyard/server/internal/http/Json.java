package dev.taskyard.server.internal.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The shared JSON mapper and the problem documents of the API. */
public final class Json
{
    public static final ObjectMapper MAPPER = new ObjectMapper();
    public static final String PROBLEM_TYPE_BASE = "https://taskyard.dev/problems/";

    private Json() {}

    /** The RFC 9457 body of a problem. */
    public static ObjectNode problem(ApiProblem problem, String instance)
    {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("type", PROBLEM_TYPE_BASE + problem.type());
        node.put("title", problem.title());
        node.put("status", problem.status());
        node.put("detail", problem.detail());
        if (instance != null) {
            node.put("instance", instance);
        }
        if (!problem.errors().isEmpty()) {
            var errors = node.putArray("errors");
            problem.errors().forEach(e -> errors.addObject().put("path", e.path()).put("message", e.message()));
        }
        return node;
    }

    public static byte[] bytes(Object node)
    {
        try {
            return MAPPER.writeValueAsBytes(node);
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
