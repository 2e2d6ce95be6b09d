package dev.taskyard.worker;

import java.io.IOException;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.plugin.host.PluginRegistry;

/**
 * The schemas operators need: of the worker config (every engine and plugin the registries know), and of the task
 * payload a given config accepts (the engine's and the enabled plugins' schemas merged, which depend on their
 * configs). The caller chooses where the output goes, e.g. {@code WorkerSchemas.write(schema, System.out)} in a CLI.
 */
public final class WorkerSchemas
{
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private WorkerSchemas() {}

    /** The schema of a worker config document. */
    public static ObjectNode config(EngineRegistry engines, PluginRegistry plugins)
    {
        return WorkerConfig.schema(engines, plugins);
    }

    /**
     * The schema of the task payloads a worker with this config accepts. Creates the engine and the plugins (as the
     * worker would, without claiming anything) and disposes them again.
     *
     * @throws EngineException the engine or a plugin cannot be created, or two components claim one key
     */
    public static ObjectNode payload(WorkerConfig config, EngineRegistry engines, PluginRegistry plugins)
            throws EngineException, InterruptedException
    {
        Worker worker = Worker.create(config, engines, plugins, new InMemoryTaskQueue());
        try {
            return worker.payloadSchema();
        }
        finally {
            worker.stopNow("schema output done");
            worker.awaitTermination(Duration.ofMinutes(1));
        }
    }

    /** Writes a schema as indented JSON followed by a newline. */
    public static void write(JsonNode schema, Appendable out)
            throws IOException
    {
        out.append(JSON.writeValueAsString(schema)).append('\n');
    }
}
