package dev.taskyard.engine.docker.internal;

import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.docker.DockerEngineProvider;

import static java.util.Objects.requireNonNull;

/**
 * What a Docker sandbox's {@link SandboxHandle} holds: the name of its container, as the JSON object
 * {@code {"name": "taskyard-<uuid>"}}. The builder picks the name before it creates the container, so the handle is
 * known (and stored by the worker) before the task starts. Only names of this form are accepted, and the container
 * found under it must carry the worker's labels, so that a handle cannot lead the engine to a container it did not
 * make. Immutable.
 *
 * @param name the container's name, without the leading {@code /}
 */
record RecoveryHandle(String name)
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("taskyard-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}");

    RecoveryHandle
    {
        requireNonNull(name, "name is null");
    }

    /** A fresh container name. */
    static RecoveryHandle newName()
    {
        return new RecoveryHandle("taskyard-" + java.util.UUID.randomUUID());
    }

    SandboxHandle toHandle()
    {
        ObjectNode data = MAPPER.createObjectNode().put("name", name);
        return new SandboxHandle(DockerEngineProvider.NAME, data.toString());
    }

    /**
     * Reads a handle a Docker sandbox gave.
     *
     * @throws MalformedPayloadException it names another engine, is not such a JSON object, or holds something
     *         other than a container name of this engine's form
     */
    static RecoveryHandle parse(SandboxHandle handle)
            throws MalformedPayloadException
    {
        requireNonNull(handle, "handle is null");
        if (!handle.engine().equals(DockerEngineProvider.NAME)) {
            throw new MalformedPayloadException("the sandbox handle was made by engine \"" + handle.engine()
                    + "\", not by \"" + DockerEngineProvider.NAME + "\"");
        }
        JsonNode data;
        try {
            data = MAPPER.readTree(handle.data());
        }
        catch (JsonProcessingException e) {
            data = null;
        }
        if (data == null || !data.isObject() || data.size() != 1 || !data.path("name").isTextual()
                || !NAME.matcher(data.path("name").asText()).matches()) {
            throw new MalformedPayloadException("the sandbox handle is not a Docker engine's: expected "
                    + "{\"name\": \"taskyard-<uuid>\"}");
        }
        return new RecoveryHandle(data.path("name").asText());
    }
}
