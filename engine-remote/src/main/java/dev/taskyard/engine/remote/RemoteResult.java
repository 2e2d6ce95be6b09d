package dev.taskyard.engine.remote;

import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.client.Task;

/**
 * What the remote engine's {@link dev.taskyard.engine.ResultSet}s also offer: the remote task's final state. A plugin
 * reads it with {@code if (result instanceof RemoteResult remote) …}. Thread-safe; the values are immutable.
 */
public interface RemoteResult
{
    /** The remote task as the remote server last answered it: terminal, with its result or error. */
    Task remoteTask();

    /** The remote task's result document ({@code result} of a COMPLETED task), if it has one. */
    default Optional<JsonNode> remoteResultDocument()
    {
        return remoteTask().result();
    }
}
