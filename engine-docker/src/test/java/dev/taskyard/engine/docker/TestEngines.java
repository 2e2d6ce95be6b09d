package dev.taskyard.engine.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import org.slf4j.LoggerFactory;

/** Creates Docker engines and payloads for the module's own tests, the way a worker would (schema first). */
final class TestEngines
{
    static final ObjectMapper MAPPER = new ObjectMapper();
    /** An endpoint where no daemon can answer. */
    static final String DEAD_SOCKET = "unix:///nonexistent/taskyard/docker.sock";

    private TestEngines() {}

    /** A config with the test daemon's socket. */
    static ObjectNode config()
    {
        return MAPPER.createObjectNode().put("socket", TestDaemon.socket());
    }

    /** Creates an engine for a test worker; the caller disposes it. */
    static Engine create(ObjectNode config, String workerId, ResourceTracker tracker)
            throws EngineException
    {
        Path folder;
        try {
            folder = Files.createTempDirectory("taskyard-docker-test-");
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EngineContext context = new EngineContext(folder, LoggerFactory.getLogger("taskyard.test.docker." + workerId),
                new WorkerIdentity(TestDaemon.TEST_WORKER_GROUP, workerId), tracker);
        return EngineRegistry.load().createEngine(DockerEngineProvider.NAME, config, context);
    }

    /** A payload running {@code command} in {@code image}. */
    static ObjectNode payload(String image, String... command)
    {
        ObjectNode payload = MAPPER.createObjectNode().put("image", image);
        ArrayNode argv = payload.putArray("command");
        List.of(command).forEach(argv::add);
        return payload;
    }

    /** Options for {@code newSandboxBuilder}, after checking the payload against the engine's schema. */
    static SandboxOptions options(Engine engine, ObjectNode payload, TaskContext context)
    {
        var violations = engine.payloadSchema().validate(payload);
        if (!violations.isEmpty()) {
            throw new AssertionError("test payload does not match the schema: " + violations);
        }
        return new SandboxOptions(payload, context);
    }
}
