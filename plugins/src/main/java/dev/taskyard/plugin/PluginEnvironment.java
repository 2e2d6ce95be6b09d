package dev.taskyard.plugin;

import java.nio.file.Path;
import java.util.concurrent.ScheduledExecutorService;

import dev.taskyard.engine.WorkerIdentity;

import static java.util.Objects.requireNonNull;

/**
 * What the worker shares with every plugin. Everything here is owned by the worker and thread-safe.
 *
 * @param worker who runs the plugin
 * @param tempFolder a folder plugins may use freely; the worker deletes it when it stops
 * @param artifacts where task artifacts go
 * @param control lets a plugin stop the worker (watchdogs, reboot policies)
 * @param scheduler a shared timer for short callbacks (time limits, polling); plugins must not block it and must
 *        cancel what they scheduled when their task ends. Never shut it down.
 */
public record PluginEnvironment(WorkerIdentity worker, Path tempFolder, ArtifactStore artifacts, WorkerControl control,
                                ScheduledExecutorService scheduler)
{
    public PluginEnvironment
    {
        requireNonNull(worker, "worker is null");
        requireNonNull(tempFolder, "tempFolder is null");
        requireNonNull(artifacts, "artifacts is null");
        requireNonNull(control, "control is null");
        requireNonNull(scheduler, "scheduler is null");
    }
}
