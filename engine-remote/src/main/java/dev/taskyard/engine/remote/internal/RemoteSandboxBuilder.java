package dev.taskyard.engine.remote.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.client.IdempotencyConflictException;
import dev.taskyard.client.InvalidRequestException;
import dev.taskyard.client.ProblemException;
import dev.taskyard.client.Submission;
import dev.taskyard.client.SubmitRequest;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandboxBuilder;

import static java.util.Objects.requireNonNull;

/**
 * Collects environment variables (merged into the remote payload's {@code env}) and submits the remote task on
 * start, repeating the submit with the same idempotency key through transient failures. Thread-safe.
 */
final class RemoteSandboxBuilder
        extends AbstractSandboxBuilder
{
    private final RemoteEngine engine;
    private final ObjectNode remotePayload;
    private final Slot slot;
    // written in doStart, read in release: never concurrently (AbstractSandboxBuilder's rule)
    private boolean transferred;

    RemoteSandboxBuilder(RemoteEngine engine, TaskContext context, ObjectNode remotePayload, Slot slot)
    {
        super(context);
        this.engine = requireNonNull(engine, "engine is null");
        this.remotePayload = requireNonNull(remotePayload, "remotePayload is null");
        this.slot = requireNonNull(slot, "slot is null");
    }

    @Override
    public void setEnvironmentVariable(String name, String value)
            throws EngineException
    {
        if (!engine.capabilities().supports(Feature.ENVIRONMENT_VARIABLES)) {
            throw new FeatureNotSupportedException("the remote server's payload has no env: it runs no env plugin");
        }
        if (remotePayload.path("env").has(name)) {
            throw new NamingConflictException("environment variable " + name
                    + " is already set by the remote payload's env");
        }
        super.setEnvironmentVariable(name, value);
    }

    @Override
    protected Sandbox doStart(Spec spec)
            throws EngineException
    {
        ObjectNode payload = remotePayload.deepCopy();
        if (!spec.environment().isEmpty()) {
            ObjectNode env = payload.has("env") ? (ObjectNode) payload.get("env") : payload.putObject("env");
            for (Map.Entry<String, String> variable : spec.environment().entrySet()) {
                env.put(variable.getKey(), variable.getValue());
            }
        }
        String key = idempotencyKey(context);
        Submission submission = submit(payload, key);
        RemoteSandbox sandbox =
                new RemoteSandbox(engine, context, submission.taskId(), submission.task().attempt(), slot);
        transferred = true;
        sandbox.start();
        return sandbox;
    }

    private Submission submit(ObjectNode payload, String key)
            throws EngineException
    {
        try {
            return engine.calls().call("submitting task run " + context + " (idempotency key " + key + ")",
                    () -> isDiscardRequested() || context.isCancelled(),
                    client -> client.submit(SubmitRequest.of(payload).withIdempotencyKey(key)));
        }
        catch (InvalidRequestException e) {
            throw new MalformedPayloadException(remoteMessages(e));
        }
        catch (IdempotencyConflictException e) {
            throw new NonFatalInternalErrorException("the remote server already holds another task under the "
                    + "idempotency key " + key
                    + " (the same task id and run id were submitted with another payload): " + e.getMessage(), e);
        }
        catch (TaskyardException e) {
            throw RemoteEngine.refused("the task of " + context, e);
        }
        catch (OutageTolerantCalls.StoppedException e) {
            if (context.isCancelled()) {
                throw new TaskCanceledException("the task was cancelled while its submit kept failing: "
                        + context.cancellationReason().orElse(""));
            }
            throw new BuilderDiscardedException("the sandbox builder was discarded while its submit kept failing");
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NonFatalInternalErrorException("interrupted while submitting the task of " + context
                    + "; the remote task may exist under idempotency key " + key, e);
        }
    }

    /** The remote's violations, each under {@code $.remote}. */
    static List<String> remoteMessages(ProblemException e)
    {
        List<String> messages = new ArrayList<>();
        for (ProblemException.FieldError error : e.errors()) {
            String path = error.path().startsWith("$") ? error.path().substring(1) : "." + error.path();
            messages.add("$.remote" + path + ": " + error.message() + " (remote server)");
        }
        if (messages.isEmpty()) {
            messages.add("$.remote: the remote server refused the payload: " + e.getMessage());
        }
        return messages;
    }

    /**
     * {@code taskyard-remote:<task id>:<run id>:<random>}, the task part hashed when long. One key per start: every
     * repetition of this start's submit carries it, so the remote creates at most one task for it; a later start of
     * the same run (a run handed back at a graceful stop and claimed again) must not find the task the stop cancelled.
     */
    static String idempotencyKey(TaskContext context)
    {
        String run = context.taskId() + ":" + context.runId();
        if (run.length() > 160 || !run.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            try {
                run = "sha256:" + HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(run.getBytes(StandardCharsets.UTF_8)));
            }
            catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return "taskyard-remote:" + run + ":" + UUID.randomUUID();
    }

    @Override
    protected void release()
    {
        if (!transferred) {
            slot.release();
        }
    }
}
