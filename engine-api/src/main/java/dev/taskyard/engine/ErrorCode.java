package dev.taskyard.engine;

/**
 * The error vocabulary of the engine contract. Every {@link EngineException} carries exactly one code; the
 * code, not the exception class, is what crosses process boundaries (task resolutions, REST problem answers).
 */
public enum ErrorCode
{
    /** The optional feature is not implemented by this engine; the caller may work around it. */
    FEATURE_NOT_SUPPORTED("feature-not-supported"),
    /** The task payload (or a value derived from it) is invalid: the task author's fault. */
    MALFORMED_PAYLOAD("malformed-payload"),
    /** An internal error that has been reported; the task fails with internal-error, the worker continues. */
    NON_FATAL_INTERNAL_ERROR("non-fatal-internal-error"),
    /** An internal error that has been reported; the worker must stop. */
    FATAL_INTERNAL_ERROR("fatal-internal-error"),
    /** The sandbox has already terminated on its own; its result must be fetched with waitForResult. */
    SANDBOX_TERMINATED("sandbox-terminated"),
    /** The sandbox was aborted; it has no result. */
    SANDBOX_ABORTED("sandbox-aborted"),
    /** The sandbox builder was discarded. */
    BUILDER_DISCARDED("builder-discarded"),
    /** A file, folder, volume or other named resource does not exist. */
    RESOURCE_NOT_FOUND("resource-not-found"),
    /** A name (environment variable, mount point, proxy) has already been declared. */
    NAMING_CONFLICT("naming-conflict"),
    /** A handler passed to the engine failed, and the operation was interrupted. */
    HANDLER_INTERRUPTED("handler-interrupted"),
    /** The engine already runs as many sandboxes as its capabilities allow. */
    MAX_CONCURRENCY_EXCEEDED("max-concurrency-exceeded"),
    /** The shell has already terminated. */
    SHELL_TERMINATED("shell-terminated"),
    /** The shell was aborted. */
    SHELL_ABORTED("shell-aborted"),
    /** No display of that name exists. */
    NO_SUCH_DISPLAY("no-such-display"),
    /** The task context was cancelled. */
    CANCELED("canceled"),
    /** An engine or plugin configuration does not match its schema. */
    INVALID_CONFIG("invalid-config");

    private final String id;

    ErrorCode(String id)
    {
        this.id = id;
    }

    /** The stable, lower-case, dash-separated name used in logs and APIs, e.g. {@code malformed-payload}. */
    public String id()
    {
        return id;
    }

    @Override
    public String toString()
    {
        return id;
    }
}
