package dev.taskyard.engine;

import java.util.Collection;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.schema.JsonSchema;

import static java.util.Objects.requireNonNull;

/**
 * Runs tasks in sandboxes. One engine serves a whole worker: every method except {@link #dispose()} is
 * thread-safe and may be called for many tasks at once.
 *
 * <p>Life-cycle of one task: {@link #newSandboxBuilder} → {@link SandboxBuilder#startSandbox()} (or
 * {@link SandboxBuilder#discard()}) → {@link Sandbox#waitForResult()} (or {@link Sandbox#abort()}) →
 * {@link ResultSet#dispose()}. Each step transfers or releases everything the previous object held.
 *
 * <p>The rules (the contract kit names each by the id in brackets):
 * <ol>
 * <li>[payload-schema] {@link #payloadSchema()} describes an object ({@code "type": "object"}).</li>
 * <li>[feature-declaration] {@link #capabilities()} returns the same value on every call; every optional feature
 *     it does not list throws {@link FeatureNotSupportedException}.</li>
 * <li>[max-concurrency] At most {@link Capabilities#maxConcurrency()} builders, sandboxes and undisposed result
 *     sets are live at once, also when many threads call {@link #newSandboxBuilder} at the same instant; beyond it
 *     {@code newSandboxBuilder} throws {@link MaxConcurrencyExceededException}.</li>
 * <li>[malformed-payload] A payload valid by schema that the engine cannot use makes {@link #newSandboxBuilder}
 *     throw {@link MalformedPayloadException}, holding nothing afterwards.</li>
 * <li>[dispose-idempotent], [no-leak] {@link #dispose()} is idempotent; afterwards the engine's
 *     {@link ResourceTracker} is empty and nothing of the engine survives.</li>
 * <li>[engine-after-dispose] After {@link #dispose()}, {@link #newSandboxBuilder} and {@link #newVolume} throw
 *     {@link IllegalStateException}.</li>
 * </ol>
 */
public interface Engine
{
    /**
     * The JSON Schema of the engine's part of the task payload. It must describe an object, because the worker
     * merges it with the plugins' schemas; keys claimed by two components are a start-up error.
     */
    JsonSchema payloadSchema();

    /** What the engine can do; the same value on every call. */
    Capabilities capabilities();

    /**
     * Starts preparing a sandbox for one task: parse the payload, start slow work (image pulls) and return before
     * it finishes.
     *
     * @throws MalformedPayloadException the payload is valid by schema but cannot be used
     * @throws MaxConcurrencyExceededException {@link Capabilities#maxConcurrency()} sandboxes are already live
     * @throws InternalErrorException the engine could not prepare a sandbox
     */
    SandboxBuilder newSandboxBuilder(SandboxOptions options)
            throws EngineException;

    /** The schema of the options {@link #newVolume(JsonNode)} accepts; {@code {}} must always be valid. */
    default JsonSchema volumeSchema()
    {
        return JsonSchema.emptyObject();
    }

    /**
     * Creates an empty volume that can be attached to sandboxes of this engine and outlives them. The caller owns
     * it and must {@linkplain Volume#dispose() dispose} it after every sandbox using it is resolved.
     *
     * @throws FeatureNotSupportedException unless {@link Feature#VOLUMES} is supported (the default)
     */
    default Volume newVolume(JsonNode options)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support volumes");
    }

    /**
     * Re-attaches to a task that a sandbox of an earlier instance of this engine (typically in a process that has
     * ended since) started, from the handle {@link Sandbox#handle()} gave. The returned sandbox is a live sandbox of
     * this engine like one {@link SandboxBuilder#startSandbox()} returns, with the same resolution rules: its
     * {@code waitForResult} yields the task's real termination (also when the task ended while no engine watched it),
     * {@code kill} and {@code abort} end the task's every process, and everything the task prints from byte
     * {@link RecoveryOptions#logOffset()} of its output on is written to the log of
     * {@link RecoveryOptions#context()}, in order; the bytes before it were already stored by the caller.
     *
     * <p>Ownership: the returned sandbox owns the task's resources from now on and counts against
     * {@link Capabilities#maxConcurrency()}. Thread-safe; calls for distinct handles may run concurrently. A handle is
     * recovered by one sandbox at a time: the caller must not recover one handle twice while the first recovered
     * sandbox is unresolved.
     *
     * @throws FeatureNotSupportedException unless {@link Feature#RECOVERY} is supported (the default)
     * @throws ResourceNotFoundException the task of the handle is gone (it was aborted, its sandbox resolved, or the
     *         host restarted): the caller runs the task again
     * @throws MalformedPayloadException the handle is not one this engine made (another engine's name, unreadable
     *         data)
     * @throws MaxConcurrencyExceededException {@link Capabilities#maxConcurrency()} sandboxes are already live
     * @throws InternalErrorException the engine could not re-attach
     */
    default Sandbox recoverSandbox(RecoveryOptions options)
            throws EngineException
    {
        throw new FeatureNotSupportedException("this engine does not support recovery");
    }

    /**
     * Tells the engine which tasks left by earlier instances of it (typically in a process of the same worker that
     * has ended) its caller will recover: the handles stored with every run the caller reclaimed at start-up. The
     * collection may be empty and may hold other engines' handles or unreadable ones, which are ignored.
     *
     * <p>A task an earlier instance started for the same worker whose handle is not listed belongs to no stored lease
     * any more: from this call on the engine may end it and remove what it left, as it removes any other leftover. A
     * listed task is kept until {@link #recoverSandbox} has been called with its handle, whatever that call's outcome
     * (after a failed recovery the caller runs the task again, and the old one is a leftover). An engine that keeps
     * recoverable tasks across its instances should not remove them before this call, or before an engine-specific
     * time if the call never comes (the caller could not reclaim, or does not recover).
     *
     * <p>Called at most once per engine instance, before the caller recovers anything; never called by callers that
     * do not recover. The default ignores it (engines without {@link Feature#RECOVERY}, or whose leftovers need no
     * claim). Thread-safe; must not block on the task's work.
     *
     * @param handles the handles the caller's reclaimed runs carry
     */
    default void retainRecoverable(Collection<SandboxHandle> handles)
    {
        requireNonNull(handles, "handles is null");
    }

    /**
     * Releases everything the engine holds. Called after every builder, sandbox, result set and volume it made is
     * disposed; afterwards the {@link ResourceTracker} of its context is empty. Idempotent; not thread-safe.
     */
    void dispose()
            throws EngineException;
}
