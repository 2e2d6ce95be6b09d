package dev.taskyard.engine.remote.internal;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.client.ProblemException;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.engine.support.AbstractEngine;

import static java.util.Objects.requireNonNull;

/**
 * The remote engine: one client shared by every sandbox, the remote payload schema read at creation, a concurrency
 * limit, and a small pool for cancels issued by {@code kill}. Thread-safe.
 */
public final class RemoteEngine
        extends AbstractEngine<ObjectNode>
{
    private final RemoteSettings settings;
    private final JsonSchema remoteSchema;
    private final OutageTolerantCalls calls;
    private final ExecutorService background;

    private RemoteEngine(RemoteSettings settings, JsonSchema payloadSchema, JsonSchema remoteSchema,
            EngineContext context, OutageTolerantCalls calls)
    {
        super(context, "remote-task", payloadSchema, capabilities(settings, remoteSchema));
        this.settings = settings;
        this.remoteSchema = remoteSchema;
        this.calls = calls;
        AtomicInteger threads = new AtomicInteger();
        this.background = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "taskyard-remote-cancel-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Connects to the remote and reads its payload schema. */
    public static RemoteEngine create(RemoteSettings settings, JsonSchema payloadSchema, EngineContext context)
            throws EngineException
    {
        requireNonNull(settings, "settings is null");
        requireNonNull(payloadSchema, "payloadSchema is null");
        requireNonNull(context, "context is null");
        OutageTolerantCalls calls = new OutageTolerantCalls(settings.newClient(), settings.unreachableTimeout(),
                settings.baseUrl().toString());
        JsonNode schema;
        try {
            // the remote must answer within one timeout window: a worker should not start against a dead remote
            schema = calls.call("reading the payload schema of " + settings.baseUrl(), TaskyardClient::payloadSchema);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonFatalInternalErrorException("interrupted while reading the remote payload schema", e);
        }
        catch (TaskyardException e) {
            throw new NonFatalInternalErrorException("the remote taskyard server " + settings.baseUrl()
                    + " refused to give its payload schema: " + e.getMessage(), e);
        }
        JsonSchema remote;
        try {
            remote = JsonSchema.of(schema);
        }
        catch (RuntimeException e) {
            throw new NonFatalInternalErrorException("the remote taskyard server " + settings.baseUrl()
                    + " sent an unusable payload schema: " + e.getMessage(), e);
        }
        context.logger().info("remote engine connected to {}", settings.baseUrl());
        return new RemoteEngine(settings, payloadSchema, remote, context, calls);
    }

    /** The remote's optional features, read from its payload schema. */
    private static Capabilities capabilities(RemoteSettings settings, JsonSchema remoteSchema)
    {
        EnumSet<Feature> features = EnumSet.noneOf(Feature.class);
        JsonNode properties = remoteSchema.document().path("properties");
        if (properties.has("env")) {
            features.add(Feature.ENVIRONMENT_VARIABLES);
        }
        if (properties.has("artifacts")) {
            features.add(Feature.ARTIFACTS);
        }
        return new Capabilities(settings.maxConcurrency(), features);
    }

    /**
     * Validates the remote payload against the remote's schema.
     *
     * @throws MalformedPayloadException the remote's schema refuses {@code $.remote}; one message per violation
     */
    @Override
    protected ObjectNode parsePayload(SandboxOptions options)
            throws MalformedPayloadException
    {
        JsonNode remote = options.payload().get("remote");
        if (!(remote instanceof ObjectNode remotePayload)) {
            throw new MalformedPayloadException("$.remote: the remote task payload must be an object");
        }
        List<Violation> violations = remoteSchema.validate(remotePayload);
        if (!violations.isEmpty()) {
            List<String> messages = new ArrayList<>();
            for (Violation violation : violations) {
                messages.add("$.remote" + violation.path().substring(1) + ": " + violation.message()
                        + " (remote server's schema)");
            }
            throw new MalformedPayloadException(messages);
        }
        return remotePayload.deepCopy();
    }

    @Override
    protected SandboxBuilder newSandboxBuilder(ObjectNode remotePayload, TaskContext task, Slot slot)
    {
        return new RemoteSandboxBuilder(this, task, remotePayload, slot);
    }

    RemoteSettings settings()
    {
        return settings;
    }

    /** The calls to the remote: the client's retry budget, then the outage window. */
    OutageTolerantCalls calls()
    {
        return calls;
    }

    /** Runs a cancel in the background (for {@code kill}, which must not block). */
    void inBackground(Runnable task)
    {
        if (!background.isShutdown()) {
            background.execute(task);
        }
    }

    /** Maps a refusal of the remote server that is not transient. */
    static NonFatalInternalErrorException refused(String what, TaskyardException e)
    {
        String detail = e instanceof ProblemException problem
                ? problem.status() + " " + problem.title() + ": " + problem.detail()
                : e.getMessage();
        return new NonFatalInternalErrorException("the remote taskyard server refused " + what + ": " + detail, e);
    }

    /** Stops the cancel pool, waiting briefly for cancels in flight. */
    @Override
    protected void disposeEngine()
    {
        background.shutdown();
        try {
            background.awaitTermination(settings.abortTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
