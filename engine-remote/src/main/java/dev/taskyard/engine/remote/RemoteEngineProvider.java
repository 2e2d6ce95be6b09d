package dev.taskyard.engine.remote;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.remote.internal.RemoteEngine;
import dev.taskyard.engine.remote.internal.RemoteSettings;
import dev.taskyard.engine.schema.JsonSchema;

import static java.util.Objects.requireNonNull;

/**
 * Provides the {@code remote} engine: every task runs on another taskyard server, through its REST API and the
 * {@link dev.taskyard.client.TaskyardClient} with its retry policy.
 *
 * <h2>Config</h2> (JSON Schema draft 2020-12, see {@code config.schema.json})
 * <ul>
 * <li>{@code baseUrl} (required): the remote server, e.g. {@code http://127.0.0.1:8080}</li>
 * <li>{@code token} or {@code tokenFile} (exactly one): the remote's bearer token; marked secret ({@code writeOnly})
 *     in the schema, never logged and never part of any message or {@code toString}</li>
 * <li>{@code maxConcurrency} (default 32), {@code requestTimeoutSeconds} (30), {@code retry} (the client's per-call
 *     policy: {@code maxAttempts} 5, backoff 200 → 2,000 ms with jitter), {@code poll} (long polls of
 *     {@code longPollSeconds} 20, else polling within {@code minIntervalMillis}..{@code maxIntervalMillis})</li>
 * <li>{@code unreachableTimeoutSeconds} (300): when a call has spent its retries on transient failures
 *     (connection resets, 425/429/5xx), the engine keeps trying, with the policy's maximum backoff, until the
 *     remote has been unreachable this long; a submit is repeated only with its idempotency key, so it never creates
 *     a second remote task</li>
 * <li>{@code abortTimeoutSeconds} (60): how long {@code abort} waits for the cancelled remote task to end</li>
 * <li>{@code deleteFinishedTasks} (false): delete the remote task when its result set is disposed</li>
 * <li>{@code recovery} (false): declare {@link dev.taskyard.engine.Feature#RECOVERY}; a sandbox's handle names the
 *     remote server and task, and {@code recoverSandbox} follows that task again (see below)</li>
 * </ul>
 * The engine reads the remote's payload schema ({@code GET /v1/schemas/payload}) when it is created; an unreachable
 * remote or a wrong token then fails the creation with a non-fatal internal error naming the cause.
 *
 * <h2>Payload</h2>
 * {@code {"remote": {…}}}: the task payload for the remote server. {@code newSandboxBuilder} validates it against the
 * remote's schema and refuses it with malformed-payload listing the remote's violations, each with its JSON path
 * under {@code $.remote}.
 *
 * <h2>Mapping</h2>
 * {@code startSandbox} submits with an idempotency key that all its repetitions carry, so a start creates at most
 * one remote task: without recovery {@code taskyard-remote:<task id>:<run id>:<random>}; with recovery a key derived
 * from the run ({@code taskyard-remote:<task id>:<run id>}), so that a later start of the same run after the worker
 * died reaches the same remote task; a remote task an earlier start of the run cancelled (an aborted sandbox) is then
 * skipped for the next key ({@code …:1}, {@code …:2}, …). The remote log is copied
 * into the task log live and completely before the sandbox resolves. A remote {@code COMPLETED} is success, with the
 * exit code the remote reports ({@code exit_code}, 0 when it reports none); {@code FAILED} because the task failed is
 * a failure with the reported exit code (1 when none);
 * {@code FAILED} with {@code deadline-exceeded} is a killed, timed-out termination; {@code CANCELED} is a killed
 * termination; any other remote failure ({@code internal-error}, {@code malformed-payload}, {@code worker-shutdown},
 * {@code worker-crash}) resolves the sandbox with a non-fatal internal error carrying the remote's problem.
 * {@code abort} cancels and waits for the terminal state; {@code kill} cancels; cancelling the task context cancels
 * the remote task. The result set is a {@link RemoteResult}: it carries the remote task's final state and
 * result document, and extracts artifacts by their remote names ({@code extractFolder("out")} yields the artifacts
 * named {@code out/…}). Features: environment variables (when the remote payload schema has {@code env}; they are
 * merged into it), artifacts (when it has {@code artifacts}) and recovery (when configured); no volumes, proxies,
 * shells or displays.
 *
 * <h2>Recovery</h2>
 * With {@code "recovery": true}, {@code Sandbox.handle()} holds the remote server's base URL, the remote task id and
 * its attempt. {@code recoverSandbox} reads the remote task and follows it again, copying its log from the stored
 * offset with {@code Range}: a running task goes on, one that ended meanwhile resolves with its real state and the
 * rest of its log; the result set reaches its artifacts; kill and abort cancel it. A remote task that is gone (404) or
 * cancelled is resource-not-found; another engine's handle, unreadable data or a handle of another remote server is
 * malformed. The reads go through the same outage policy as every other call.
 *
 * <p>Stateless and thread-safe, as {@link EngineProvider} requires.
 */
public final class RemoteEngineProvider
        implements EngineProvider
{
    /** The engine's name. */
    public static final String NAME = "remote";

    private static final JsonSchema CONFIG_SCHEMA =
            JsonSchema.fromResource(RemoteEngineProvider.class, "config.schema.json");
    private static final JsonSchema PAYLOAD_SCHEMA =
            JsonSchema.fromResource(RemoteEngineProvider.class, "payload.schema.json");

    @Override
    public String name()
    {
        return NAME;
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG_SCHEMA;
    }

    /**
     * Creates a remote engine and reads the remote's payload schema.
     *
     * @throws dev.taskyard.engine.NonFatalInternalErrorException the remote cannot be reached or refuses the token
     */
    @Override
    public Engine createEngine(EngineOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        return RemoteEngine.create(RemoteSettings.from(options.config()), PAYLOAD_SCHEMA, options.context());
    }
}
