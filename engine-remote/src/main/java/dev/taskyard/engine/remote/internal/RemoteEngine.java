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
import dev.taskyard.client.NotFoundException;
import dev.taskyard.client.ProblemException;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskStatus;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.engine.support.AbstractEngine;

import static java.util.Objects.requireNonNull;

/**
 * The remote engine: one client shared by every sandbox, the remote payload schema read at creation, a concurrency
 * limit, and a small pool for cancels issued by {@code kill}. With {@code "recovery": true} it declares
 * {@link Feature#RECOVERY}: a sandbox's handle names the remote task, and {@link #recoverSandbox} follows it again.
 * Thread-safe.
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
        if (settings.recovery()) {
            features.add(Feature.RECOVERY);
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

    /**
     * Re-attaches to the remote task of a handle a remote sandbox gave ({@code "recovery": true}): reads the remote
     * task (through the outage rules of {@link OutageTolerantCalls}), then follows it like a started sandbox, copying
     * its log from {@link RecoveryOptions#logOffset()} with a {@code Range} request. A remote task that ended
     * meanwhile resolves with its real state and the rest of its log; one the remote ran again since the handle was
     * made (a new attempt there) has its new log copied from its start, after a line saying so.
     *
     * @throws FeatureNotSupportedException the engine is not configured for recovery
     * @throws MalformedPayloadException not a handle of this engine (another engine's, unreadable, or made for another
     *         remote server)
     * @throws ResourceNotFoundException the remote task is gone (404), or it was cancelled (its sandbox was aborted,
     *         or it was cancelled on the remote): the caller runs the task again
     * @throws NonFatalInternalErrorException the remote stayed unreachable for the outage window, or refused the read
     */
    @Override
    public Sandbox recoverSandbox(RecoveryOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        checkNotDisposed();
        if (!settings.recovery()) {
            throw new FeatureNotSupportedException("this remote engine is not configured for recovery "
                    + "(\"recovery\": true)");
        }
        RemoteHandle handle = RemoteHandle.parse(options.handle(), settings.baseUrl().toString());
        TaskContext context = options.context();
        Task task = readForRecovery(handle.taskId(), context);
        if (task.status() == TaskStatus.CANCELED) {
            throw new ResourceNotFoundException("remote task " + handle.taskId() + " on " + settings.baseUrl()
                    + " was cancelled (its sandbox was aborted, or it was cancelled there): nothing to recover");
        }
        Slot slot = newSlot(context);
        long offset = options.logOffset();
        int attempt = handle.attempt();
        if (task.attempt() != attempt) {
            context.log().writeLine("[taskyard] remote task " + handle.taskId() + " ran again while no worker "
                    + "followed it (attempt " + task.attempt() + "); its log starts again below");
            attempt = task.attempt();
            offset = 0;
        }
        RemoteSandbox sandbox = new RemoteSandbox(this, context, handle.taskId(), attempt, offset, slot);
        context().logger().info("task run {}: recovered remote task {} ({}, attempt {}, log from byte {})", context,
                handle.taskId(), task.status(), attempt, offset);
        sandbox.start();
        return sandbox;
    }

    private Task readForRecovery(String taskId, TaskContext context)
            throws EngineException
    {
        try {
            return calls.call("reading remote task " + taskId + " to recover it", context::isCancelled,
                    client -> client.get(taskId));
        }
        catch (NotFoundException e) {
            throw new ResourceNotFoundException("remote task " + taskId + " is gone from " + settings.baseUrl(), e);
        }
        catch (TaskyardException e) {
            throw refused("to report remote task " + taskId + " for its recovery", e);
        }
        catch (OutageTolerantCalls.StoppedException e) {
            throw new TaskCanceledException("the task was cancelled while its remote task could not be read: "
                    + context.cancellationReason().orElse(""));
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonFatalInternalErrorException("interrupted while reading remote task " + taskId
                    + " to recover it", e);
        }
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
