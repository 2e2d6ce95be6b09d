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
import dev.taskyard.client.TaskStatus;
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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Collects environment variables (merged into the remote payload's {@code env}) and submits the remote task on
 * start, repeating the submit with the same idempotency key through transient failures. With recovery the key is
 * derived from the run (see {@link #idempotencyKey}), so a run started again after its worker died reaches its first
 * remote task. Thread-safe.
 */
final class RemoteSandboxBuilder
        extends AbstractSandboxBuilder
{
    private static final Logger LOG = LoggerFactory.getLogger(RemoteSandboxBuilder.class);
    /** The most keys one run walks through: one per earlier start of the run that was aborted, plus one. */
    static final int MAX_GENERATIONS = 64;

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
        Submission submission = submitOnce(payload);
        RemoteSandbox sandbox = new RemoteSandbox(engine, context, submission.taskId(), submission.task().attempt(),
                0, slot);
        transferred = true;
        sandbox.start();
        return sandbox;
    }

    /**
     * Without recovery: submits under a key of its own ({@code taskyard-remote:<task id>:<run id>:<random>}), so a
     * later start of the same run (handed back at a graceful stop) gets a fresh remote task.
     *
     * <p>With recovery: submits under the run's first key whose remote task was not cancelled. A start of this run
     * that came before (a worker that died after its submit, whose run is handed back with the same run id) reaches
     * the remote task it made, whatever state that task is in now; only a task an earlier start cancelled (its
     * sandbox was aborted: a graceful stop handed the run back) is skipped for the next key, so the same walk always
     * ends at the same task.
     */
    private Submission submitOnce(ObjectNode payload)
            throws EngineException
    {
        if (!engine.settings().recovery()) {
            // without recovery no later start looks for this one's task: one key per start, never found again
            return submit(payload, idempotencyKey(context, 0) + ":" + UUID.randomUUID());
        }
        for (int generation = 0; generation < MAX_GENERATIONS; generation++) {
            String key = idempotencyKey(context, generation);
            Submission submission = submit(payload, key);
            if (submission.task().status() != TaskStatus.CANCELED) {
                if (generation > 0 || submission.task().status() != TaskStatus.PENDING) {
                    LOG.info("task run {}: idempotency key {} leads to remote task {} ({}, attempt {})", context, key,
                            submission.taskId(), submission.task().status(), submission.task().attempt());
                }
                return submission;
            }
            LOG.info("task run {}: remote task {} under idempotency key {} was cancelled by an earlier start of this "
                    + "run; submitting under the next key", context, submission.taskId(), key);
        }
        throw new NonFatalInternalErrorException("the remote server holds " + MAX_GENERATIONS + " cancelled tasks "
                + "for task run " + context + " (one per earlier start that was aborted); not starting another");
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
     * {@code taskyard-remote:<task id>:<run id>} (then {@code :1}, {@code :2}, … for the generations after a cancelled
     * one), the task part hashed when long or not visible ASCII. With recovery the key is derived from the run alone,
     * so that every start of the same run (the submit's own repetitions, and a start after the worker died between the
     * submit and the save of the sandbox handle) reaches the same remote task instead of starting a second one. A
     * server's task ids are unique (ULIDs) and the run id is the attempt, so distinct runs of a server never share a
     * key; a caller that reuses a task id and run id for another run reaches the earlier run's remote task.
     */
    static String idempotencyKey(TaskContext context, int generation)
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
        return "taskyard-remote:" + run + (generation == 0 ? "" : ":" + generation);
    }

    @Override
    protected void release()
    {
        if (!transferred) {
            slot.release();
        }
    }
}
