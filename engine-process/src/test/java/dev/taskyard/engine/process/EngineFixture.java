package dev.taskyard.engine.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process engine created through the {@link EngineRegistry} in a fresh temp folder, with its own tracker. Closing
 * it disposes the contexts it made and the engine, and checks that the tracker is empty.
 */
final class EngineFixture
        implements AutoCloseable
{
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path folder;
    private final ResourceTracker tracker = new ResourceTracker();
    private final Engine engine;
    private final List<TaskContext> contexts = new ArrayList<>();

    EngineFixture(String config)
            throws Exception
    {
        this.folder = Files.createTempDirectory(tmpdir(), "process-engine-test-");
        EngineContext context = new EngineContext(folder, LoggerFactory.getLogger("test.process-engine"),
                new WorkerIdentity("test", "test-worker"), tracker);
        this.engine = EngineRegistry.load().createEngine(ProcessEngineProvider.NAME, MAPPER.readTree(config), context);
    }

    EngineFixture()
            throws Exception
    {
        this("{}");
    }

    /** {@code java.io.tmpdir}, created if missing (surefire points it at target/tmp without creating it). */
    static Path tmpdir()
    {
        try {
            return Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"))).toRealPath();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a folder tree (without following links). */
    static void deleteTree(Path root)
            throws IOException
    {
        MoreFiles.deleteRecursively(root);
    }

    Engine engine()
    {
        return engine;
    }

    ResourceTracker tracker()
    {
        return tracker;
    }

    /** The tracker entries of tasks (everything but the engine's root folder). */
    List<String> taskResources()
    {
        return tracker.live().stream().filter(entry -> !entry.startsWith("folder: ")).toList();
    }

    /** The engine's temp folder (the default root folder is below it). */
    Path folder()
    {
        return folder;
    }

    TaskContext newContext(Consumer<TaskContext.Builder> customizer)
    {
        TaskContext.Builder builder = TaskContext.builder().taskId("t" + System.nanoTime()).logSpillFolder(folder);
        customizer.accept(builder);
        TaskContext context = builder.build();
        contexts.add(context);
        return context;
    }

    TaskContext newContext()
    {
        return newContext(b -> {});
    }

    SandboxBuilder builder(String payload, TaskContext context)
            throws Exception
    {
        return builder(payload(payload), context);
    }

    SandboxBuilder builder(ObjectNode payload, TaskContext context)
            throws Exception
    {
        return engine.newSandboxBuilder(new SandboxOptions(payload, context));
    }

    SandboxBuilder builder(String... command)
            throws Exception
    {
        return engine.newSandboxBuilder(new SandboxOptions(command(command), newContext()));
    }

    static ObjectNode payload(String json)
            throws IOException
    {
        return (ObjectNode) MAPPER.readTree(json);
    }

    static ObjectNode command(String... argv)
    {
        ObjectNode payload = MAPPER.createObjectNode();
        ArrayNode command = payload.putArray("command");
        for (String argument : argv) {
            command.add(argument);
        }
        return payload;
    }

    static JsonNode json(String text)
            throws IOException
    {
        return MAPPER.readTree(text);
    }

    /** Waits until the log of {@code context} contains {@code needle}. */
    static String awaitLog(TaskContext context, String needle, Duration timeout)
            throws InterruptedException
    {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String log = context.log().contentAsString();
            if (log.contains(needle)) {
                return log;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the log never contained \"" + needle + "\": " + context.log().contentAsString());
    }

    @Override
    public void close()
            throws EngineException
    {
        engine.dispose();
        contexts.forEach(TaskContext::dispose);
        assertThat(tracker.live()).as("resources left after dispose").isEmpty();
        try {
            deleteTree(folder); // the host's part: the engine's temp folder
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
