package dev.taskyard.engine;

import java.nio.file.Path;

import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * The host environment of an engine, owned by the host.
 *
 * @param tempFolder a folder the engine may use freely; the host deletes it after the engine is disposed
 * @param logger the worker log for this engine (not a task log)
 * @param worker the identity of the worker running the engine
 * @param tracker where the engine registers every resource it holds, so that leaks are visible after
 *        {@link Engine#dispose()}
 */
public record EngineContext(Path tempFolder, Logger logger, WorkerIdentity worker, ResourceTracker tracker)
{
    public EngineContext
    {
        requireNonNull(tempFolder, "tempFolder is null");
        requireNonNull(logger, "logger is null");
        requireNonNull(worker, "worker is null");
        requireNonNull(tracker, "tracker is null");
    }
}
