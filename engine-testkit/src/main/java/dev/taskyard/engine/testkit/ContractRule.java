package dev.taskyard.engine.testkit;

/**
 * The rules of the engine contract the kit checks. Every kit failure message starts with the rule it found broken,
 * as {@code [rule-id] description: detail}, so an engine author sees which promise the engine did not keep.
 */
public enum ContractRule
{
    SAME_RESULT_SET("same-result-set", "every waitForResult returns the same ResultSet instance"),
    CONSISTENT_RESOLUTION("consistent-resolution",
            "once waitForResult or abort has returned, later calls give the consistent outcome"),
    ABORT_AFTER_COMPLETION("abort-after-completion",
            "abort after natural completion reports sandbox-terminated and waitForResult still yields the result"),
    WAIT_AFTER_ABORT("wait-after-abort", "waitForResult after a successful abort reports sandbox-aborted"),
    KILL_YIELDS_FAILED_RESULT("kill-yields-failed-result",
            "kill makes waitForResult return a failed ResultSet, not an error"),
    KILL_AFTER_TERMINATION("kill-after-termination", "kill after termination reports sandbox-terminated"),
    SHELL_AFTER_TERMINATION("shell-after-termination", "newShell after termination reports sandbox-terminated"),
    KILL_ABORTS_SHELLS("kill-aborts-shells", "killing a sandbox aborts its shells"),
    KILL_CLOSES_DISPLAYS("kill-closes-displays", "killing a sandbox closes its displays"),
    BUILDER_THREAD_SAFETY("builder-thread-safety", "every SandboxBuilder method is thread-safe"),
    BUILDER_SINGLE_USE("builder-single-use", "startSandbox runs at most once and discard invalidates the builder"),
    NAMING_CONFLICT("naming-conflict", "declaring the same name twice reports naming-conflict"),
    INVALID_NAME("invalid-name", "invalid names report malformed-payload"),
    MALFORMED_PAYLOAD("malformed-payload", "a payload the engine cannot use is reported as malformed-payload"),
    LOG_CAPTURE("log-capture",
            "everything the task prints reaches the task log, including a last line without a trailing newline"),
    LIVE_LOG("live-log", "the task log can be read live while the task runs"),
    LOG_ISOLATION("log-isolation", "logs of concurrent sandboxes are kept apart"),
    SUCCESS_REPORTING("success-reporting", "success() reflects the task's exit"),
    ENVIRONMENT("environment", "declared environment variables reach the task"),
    ARTIFACTS("artifacts", "extractFile and extractFolder return exactly the task's files"),
    FOLDER_WITHOUT_DIRECTORIES("folder-without-directories",
            "extractFolder reports files only, never directories, with relative paths"),
    RESOURCE_NOT_FOUND("resource-not-found", "missing files and folders report resource-not-found"),
    HANDLER_INTERRUPT("handler-interrupt", "a failing FileHandler interrupts extractFolder with handler-interrupted"),
    VOLUMES("volumes", "volumes persist across sandboxes and read-only mounts are enforced"),
    PROXIES("proxies", "proxied requests reach the handler with the prefix stripped and its answer reaches the task"),
    SHELLS("shells", "shells run commands with exact output and report their exit"),
    DISPLAYS("displays", "displays are listed and speak RFB with the listed framebuffer size"),
    CANCELLATION("cancellation", "cancelling the task context releases the task's resources"),
    MAX_CONCURRENCY("max-concurrency", "newSandboxBuilder beyond maxConcurrency reports max-concurrency-exceeded"),
    FEATURE_DECLARATION("feature-declaration",
            "a behaviour declared unsupported fails with feature-not-supported, "
                    + "and capabilities match the declaration"),
    ABORT_RELEASES("abort-releases", "abort returns only once everything the sandbox held is released"),
    SANDBOX_THREAD_SAFETY("sandbox-thread-safety",
            "waitForResult, abort and kill started at one instant from many threads resolve the sandbox once"),
    BUILDER_AFTER_END("builder-after-end", "declarations on a started or discarded builder are refused"),
    RESULT_SET_THREAD_SAFETY("result-set-thread-safety",
            "concurrent extractions each get exactly the content of the file they named"),
    EXIT_CODE("exit-code", "the termination reports the exact exit code of the task, never collapsed to 0/1"),
    ARTIFACT_PATH_ESCAPE("artifact-path-escape",
            "empty, NUL and climbing paths are malformed, and no path yields content from outside the sandbox"),
    RESULT_SET_AFTER_DISPOSE("result-set-after-dispose",
            "every ResultSet call but dispose throws IllegalStateException after dispose"),
    DISPOSE_IDEMPOTENT("dispose-idempotent", "a second dispose of an engine or result set returns normally"),
    ENGINE_AFTER_DISPOSE("engine-after-dispose",
            "a disposed engine refuses newSandboxBuilder and newVolume with IllegalStateException"),
    PAYLOAD_SCHEMA("payload-schema", "the payload schema describes an object"),
    CONFIG_SCHEMA("config-schema",
            "the config schema refuses invalid configs, unknown keys and non-objects, each with a JSON path"),
    PROVIDER_REENTRANT("provider-reentrant", "createEngine, also called concurrently, returns independent engines"),
    NO_LEAK("no-leak", "after dispose nothing is left: the resource tracker is empty and no process survives"),
    NO_HANG("no-hang", "no call of the contract hangs, whatever the engine's errors"),
    RECOVER_RUNNING("recover-running",
            "a running sandbox recovered in a fresh engine yields the task's real result, and the stored log and the "
            + "recovered rest make the whole log"),
    RECOVER_FINISHED("recover-finished",
            "a task that terminated before its recovery yields its real result and whole log"),
    RECOVER_GONE("recover-gone",
            "recovering a gone task reports resource-not-found, a malformed handle malformed-payload, and neither "
            + "holds anything"),
    RECOVER_ABORT("recover-abort", "aborting a recovered sandbox ends the task for good and leaves nothing behind"),
    HANDLE_STABLE("handle-stable", "handle() returns equal handles on every call, also from many threads at once");

    private final String id;
    private final String description;

    ContractRule(String id, String description)
    {
        this.id = id;
        this.description = description;
    }

    public String id()
    {
        return id;
    }

    public String description()
    {
        return description;
    }

    /** The failure message for a violation of this rule. */
    public String violation(String detail)
    {
        return "[" + id + "] " + description + ": " + detail;
    }
}
