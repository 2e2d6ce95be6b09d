package dev.taskyard.engine;

/**
 * Storage that outlives sandboxes, created by {@link Engine#newVolume}. Owned by the caller, who must dispose it
 * after every sandbox it was attached to is resolved. A volume belongs to no task (it outlives them), so engines
 * label it with the worker identity only. Thread-safe.
 */
public interface Volume
{
    /** Deletes the volume and its content. Idempotent. */
    void dispose()
            throws EngineException;
}
