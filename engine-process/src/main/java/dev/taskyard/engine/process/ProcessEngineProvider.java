package dev.taskyard.engine.process;


import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineOptions;
import dev.taskyard.engine.EngineProvider;
import dev.taskyard.engine.process.internal.EngineConfig;
import dev.taskyard.engine.process.internal.ProcessEngine;
import dev.taskyard.engine.schema.JsonSchema;

import static java.util.Objects.requireNonNull;

/**
 * Provides the {@code process} engine: every task runs as a host process (Linux only; needs {@code /proc} and
 * {@code /usr/bin/setsid} from util-linux) in a session of its own, in a fresh work dir, with a clean environment.
 * It isolates tasks from each other's processes and files by convention only, not by security: tasks run as the
 * worker's user.
 *
 * <h2>Config</h2> (JSON Schema draft 2020-12, see {@code config.schema.json}; every key optional)
 * <ul>
 * <li>{@code rootFolder}: absolute path of the folder for the task work dirs; default a folder under the engine's
 *     temp folder (then deleted with the engine)</li>
 * <li>{@code maxConcurrency}: integer ≥ 0, the most live sandboxes; {@code 0} (default) is unbounded</li>
 * <li>{@code keepWorkDirs}: boolean, default {@code false}; keep each task's work dir after disposal, for
 *     debugging</li>
 * <li>{@code defaultPath}: the {@code PATH} of tasks, default {@code /usr/local/bin:/usr/bin:/bin}</li>
 * </ul>
 *
 * <h2>Payload</h2>
 * <ul>
 * <li>{@code command} (required): the argv, at least one string; run without a shell (write
 *     {@code ["sh", "-c", "…"]} for one); the program is looked up in the task's {@code PATH} and a missing one is
 *     refused with malformed-payload by {@code startSandbox}</li>
 * <li>{@code workingFolder}: a relative subfolder of the work dir to run in, created if missing; absolute paths and
 *     {@code ..} segments are refused with malformed-payload by {@code newSandboxBuilder}</li>
 * </ul>
 *
 * <h2>The task's world</h2>
 * Environment: only {@code PATH} (from {@code defaultPath}), {@code HOME} (the work dir) and {@code TMPDIR}
 * ({@code .tmp} in the work dir), plus the variables set on the builder, which win over these three. Standard input
 * is {@code /dev/null}; standard output and error both go to the task log, live. When the main process exits, every
 * other process of its session is killed (background jobs and daemons reparented to init alike); a process that
 * calls {@code setsid()} itself escapes. Features: environment variables, artifacts (paths relative to the work
 * dir), shells without TTY; no volumes, proxies or displays.
 *
 * <p>Stateless and thread-safe, as {@link EngineProvider} requires.
 */
public final class ProcessEngineProvider
        implements EngineProvider
{
    /** The engine's name. */
    public static final String NAME = "process";

    private static final JsonSchema CONFIG_SCHEMA = JsonSchema.read(
            ProcessEngineProvider.class.getResourceAsStream("config.schema.json"), "config.schema.json");
    private static final JsonSchema PAYLOAD_SCHEMA = JsonSchema.read(
            ProcessEngineProvider.class.getResourceAsStream("payload.schema.json"), "payload.schema.json");

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
     * Creates a process engine.
     *
     * @throws dev.taskyard.engine.FatalInternalErrorException the host lacks {@code setsid} or {@code /proc}, or the
     *         root folder cannot be created
     */
    @Override
    public Engine createEngine(EngineOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        return ProcessEngine.create(EngineConfig.from(options.config()), options.context(), PAYLOAD_SCHEMA);
    }
}
