package dev.taskyard.plugin;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where task plugins publish what the task produced besides its log and artifacts. Owned by the worker, one per
 * task run; thread-safe.
 */
public interface TaskReporter
{
    /** Publishes the task's progress in percent, {@code 0..100}; later values replace earlier ones. */
    default void progress(int percent) {}

    /** Sets the task's result document, reported with its resolution; a later call replaces it. */
    default void result(JsonNode result) {}

    /** A reporter that drops everything. */
    static TaskReporter discarding()
    {
        return new TaskReporter() {};
    }
}
