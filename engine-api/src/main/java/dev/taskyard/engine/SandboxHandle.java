package dev.taskyard.engine;

import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/**
 * What an engine needs to re-attach to a running task after the worker's process ended: the engine's name and an
 * opaque string (typically a small JSON document) only that engine reads. Immutable and small enough to be stored with
 * the task's lease in every store.
 *
 * @param engine the name the engine's provider registers (e.g. {@code process}); checked by
 *        {@link Engine#recoverSandbox(RecoveryOptions)}
 * @param data the engine's opaque description of the task, at most {@link #MAX_DATA_BYTES} bytes of UTF-8
 */
public record SandboxHandle(String engine, String data)
{
    /** The most bytes (UTF-8) {@link #data()} may hold. */
    public static final int MAX_DATA_BYTES = 4096;

    /** The most characters {@link #engine()} may hold. */
    public static final int MAX_ENGINE_LENGTH = 64;

    public SandboxHandle
    {
        requireNonNull(engine, "engine is null");
        requireNonNull(data, "data is null");
        if (engine.isEmpty() || engine.length() > MAX_ENGINE_LENGTH) {
            throw new IllegalArgumentException(
                    "the engine name must have 1 to " + MAX_ENGINE_LENGTH + " characters: \"" + engine + "\"");
        }
        int bytes = data.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_DATA_BYTES) {
            throw new IllegalArgumentException("the handle data has " + bytes + " bytes, more than " + MAX_DATA_BYTES);
        }
    }
}
