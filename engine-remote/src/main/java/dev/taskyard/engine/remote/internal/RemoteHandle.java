package dev.taskyard.engine.remote.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.remote.RemoteEngineProvider;

import static java.util.Objects.requireNonNull;

/**
 * What a remote sandbox's {@link SandboxHandle} holds: the remote server it was submitted to (its configured base
 * URL), the remote task id, and the remote task's attempt when the handle was made (the stored log's bytes are bytes
 * of that attempt's log). Stored as {@code {"v": 1, "server": …, "task": …, "attempt": n}}. Immutable.
 */
record RemoteHandle(String server, String taskId, int attempt)
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int VERSION = 1;

    RemoteHandle
    {
        requireNonNull(server, "server is null");
        requireNonNull(taskId, "taskId is null");
    }

    SandboxHandle toSandboxHandle()
    {
        ObjectNode data = JSON.createObjectNode().put("v", VERSION).put("server", server).put("task", taskId)
                .put("attempt", attempt);
        return new SandboxHandle(RemoteEngineProvider.NAME, data.toString());
    }

    /**
     * Reads a handle this engine made for {@code server}.
     *
     * @throws MalformedPayloadException another engine's handle, unreadable data, or a handle of another remote server
     *         than the one this engine is configured for
     */
    static RemoteHandle parse(SandboxHandle handle, String server)
            throws MalformedPayloadException
    {
        requireNonNull(handle, "handle is null");
        requireNonNull(server, "server is null");
        if (!handle.engine().equals(RemoteEngineProvider.NAME)) {
            throw new MalformedPayloadException("the sandbox handle was made by engine \"" + handle.engine()
                    + "\", not by the remote engine");
        }
        JsonNode data;
        try {
            data = JSON.readTree(handle.data());
        }
        catch (JsonProcessingException e) {
            throw new MalformedPayloadException("the remote sandbox handle is not JSON: " + e.getOriginalMessage());
        }
        if (data == null || !data.isObject() || data.path("v").asInt() != VERSION || !data.path("server").isTextual()
                || !data.path("task").isTextual() || data.path("task").asText().isEmpty()
                || !data.path("attempt").isIntegralNumber() || !data.path("attempt").canConvertToInt()
                || data.path("attempt").asInt() < 0) {
            throw new MalformedPayloadException("the remote sandbox handle is not {\"v\": 1, \"server\": …, "
                    + "\"task\": …, \"attempt\": n}: " + abbreviate(handle.data()));
        }
        String made = data.get("server").asText();
        if (!made.equals(server)) {
            throw new MalformedPayloadException("the sandbox handle names a task of remote server " + made
                    + ", this engine's remote server is " + server);
        }
        return new RemoteHandle(made, data.get("task").asText(), data.get("attempt").asInt());
    }

    private static String abbreviate(String text)
    {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }
}
