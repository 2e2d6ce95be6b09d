package dev.taskyard.engine.mock;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.support.AbstractEngine;

import static java.util.Objects.requireNonNull;


/**
 * The scripted reference engine. A payload {@code {"delay": ms, "function": name, "argument": text}} waits
 * {@code delay} milliseconds, then performs the function:
 * <ul>
 * <li>{@code true} / {@code false}: exit 0 / 1; {@code exit}: exit with the code the argument gives (0 to 255);</li>
 * <li>{@code write-log} / {@code write-error-log}: print the argument and a newline, exit 0 / 1;
 *     {@code write-log-no-newline}: print the argument alone, exit 0; {@code write-log-sleep}: print the argument at
 *     once, then wait, exit 0; {@code write-log-sleep-write-log}: the argument is {@code first|second}: print
 *     {@code first} at once, wait, print {@code second}, exit 0;</li>
 * <li>{@code print-env-var}: print the value of the variable the argument names;</li>
 * <li>{@code write-files}: the argument lists absolute paths (space-separated), each written with "Hello World";</li>
 * <li>{@code write-volume} / {@code read-volume}: the argument is {@code /mount/file:data}; read succeeds only if
 *     the file holds the data; a write through a read-only mount fails;</li>
 * <li>{@code ping-proxy}: print "Pinging", send {@code GET /v1/ping} to the proxy the argument names, print the
 *     body, exit 0 on 200;</li>
 * <li>{@code malformed-payload-initial}: {@code newSandboxBuilder} refuses the payload with the argument as message;
 *     {@code nonfatal-internal-error}: the sandbox fails with a non-fatal internal error;
 *     {@code slow-start}: {@code startSandbox} takes {@code delay} ms, then the task exits 0.</li>
 * </ul>
 * Killed tasks end with signal 9. Shells understand the lines {@code print-hello}, {@code print-error},
 * {@code exit-false} and {@code sleep}; each sandbox has one display, {@code primary}, 640x480, speaking RFB 3.8.
 * Artifact paths are absolute ({@code /folder/file}). Every method is thread-safe.
 *
 * <p>Recovery ({@link Feature#RECOVERY}): a mock task lives in the JVM, not in the engine; another mock engine of the
 * same JVM can re-attach to it with {@link #recoverSandbox} until its sandbox is resolved for good (aborted, result
 * set disposed) or the engine that started it is disposed. That is what the kit's recovery cases and the worker's
 * tests need; a mock task does not survive its JVM.
 *
 * <p>Designed for extension in tests: {@link #writeLog(TaskContext, String)} is the one place task output is
 * written.
 */
public class MockEngine
        extends AbstractEngine<MockEngine.MockTask>
{
    private static final JsonSchema PAYLOAD_SCHEMA =
            JsonSchema.read(MockEngine.class.getResourceAsStream("payload.schema.json"), "payload.schema.json");
    private static final JsonSchema VOLUME_SCHEMA =
            JsonSchema.parse("{\"type\":\"object\",\"additionalProperties\":false}");
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final AtomicInteger ENGINES = new AtomicInteger();

    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private final Set<MockRuns.Run> runs = ConcurrentHashMap.newKeySet();

    public MockEngine(EngineContext context, int maxConcurrency)
    {
        super(context, "mock-sandbox", PAYLOAD_SCHEMA, Capabilities.of(maxConcurrency, Feature.values()));
        int id = ENGINES.incrementAndGet();
        ScheduledThreadPoolExecutor scheduled =
                new ScheduledThreadPoolExecutor(1, daemonThreads("taskyard-mock-" + id + "-timer"));
        scheduled.setRemoveOnCancelPolicy(true);
        this.timer = scheduled;
        this.workers = Executors.newCachedThreadPool(daemonThreads("taskyard-mock-" + id + "-worker"));
    }

    @Override
    protected MockTask parsePayload(SandboxOptions options)
            throws MalformedPayloadException
    {
        MockTask task = MockTask.parse(options.payload());
        if (task.function().equals("malformed-payload-initial")) {
            throw new MalformedPayloadException(task.argument().isEmpty()
                    ? "the mock was asked to refuse its payload" : task.argument());
        }
        if (task.function().equals("exit") && !isExitCode(task.argument())) {
            throw new MalformedPayloadException("exit takes an exit code from 0 to 255, not \""
                    + task.argument() + "\"");
        }
        return task;
    }

    @Override
    protected SandboxBuilder newSandboxBuilder(MockTask task, TaskContext context, Slot slot)
    {
        return new MockSandboxBuilder(this, task, context, slot);
    }

    @Override
    public JsonSchema volumeSchema()
    {
        return VOLUME_SCHEMA;
    }

    @Override
    public Volume newVolume(JsonNode options)
            throws EngineException
    {
        checkNotDisposed();
        if (!(options instanceof ObjectNode) || options.size() != 0) {
            throw new MalformedPayloadException("mock volumes take no options");
        }
        return new MockVolume(context().tracker().acquire("mock-volume", "volume"));
    }

    @Override
    public Sandbox recoverSandbox(RecoveryOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        checkNotDisposed();
        SandboxHandle handle = options.handle();
        if (!handle.engine().equals(MockEngineProvider.NAME)) {
            throw new MalformedPayloadException("the handle is of the engine \"" + handle.engine()
                    + "\", not of the mock");
        }
        String id;
        try {
            id = MAPPER.readTree(handle.data()).path("run").asText("");
        }
        catch (JsonProcessingException e) {
            throw new MalformedPayloadException(List.of("the mock's sandbox handle is not JSON: "
                    + e.getOriginalMessage()), e);
        }
        if (!id.matches("[0-9a-f-]{36}")) {
            throw new MalformedPayloadException("the mock's sandbox handle names no run: " + handle.data());
        }
        MockRuns.Run run = MockRuns.find(id)
                .orElseThrow(() -> new ResourceNotFoundException("the mock task " + id + " is gone"));
        Slot slot = newSlot(options.context());
        RecoveredMockSandbox sandbox = new RecoveredMockSandbox(this, run, options.context(), slot, handle);
        if (!sandbox.attach(options.logOffset())) {
            slot.release();
            throw new ResourceNotFoundException("the mock task " + id + " is gone");
        }
        return sandbox;
    }

    @Override
    protected void disposeEngine()
    {
        timer.shutdownNow();
        workers.shutdownNow();
        for (MockRuns.Run run : List.copyOf(runs)) {
            run.gone("the engine that ran it was disposed");
        }
        runs.clear();
    }

    /** The runs of this engine's sandboxes, until they are gone. */
    Set<MockRuns.Run> runs()
    {
        return runs;
    }

    /** Writes task output to the task log. The one place output is written; tests may override it. */
    protected void writeLog(TaskContext task, String text)
    {
        task.log().write(text);
    }

    ScheduledExecutorService timer()
    {
        return timer;
    }

    ExecutorService workers()
    {
        return workers;
    }

    Path spillFolder()
    {
        return context().tempFolder();
    }

    private static boolean isExitCode(String text)
    {
        return text.matches("0|[1-9][0-9]{0,2}") && Integer.parseInt(text) <= 255;
    }

    /** A parsed mock payload. */
    record MockTask(int delay, String function, String argument)
    {
        static MockTask parse(ObjectNode payload)
        {
            return new MockTask(payload.path("delay").asInt(), payload.path("function").asText(),
                    payload.path("argument").asText());
        }
    }
}
