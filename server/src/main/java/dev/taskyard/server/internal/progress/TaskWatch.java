package dev.taskyard.server.internal.progress;

import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * Follows a task's status monitor with long polls (each answered when the task changes, or after the wait) and shows
 * every answer on a {@link ProgressDisplay}, until the task has ended. Not thread-safe itself: one watch per thread;
 * {@link #inBackground} runs one on a daemon thread.
 */
public final class TaskWatch
{
    /** States in which a task has ended. */
    public static final Set<String> TERMINAL = Set.of("COMPLETED", "FAILED", "CANCELED");

    /** Reads the task's status monitor, long-polling up to {@code waitSeconds} for a change (0: at once). */
    @FunctionalInterface
    public interface Poll
    {
        JsonNode task(int waitSeconds);
    }

    private TaskWatch() {}

    public static boolean isTerminal(JsonNode task)
    {
        return TERMINAL.contains(task.path("status").asText());
    }

    /**
     * Shows the task until it has ended and returns its last status monitor (not yet {@link ProgressDisplay#finish}ed).
     */
    public static JsonNode untilEnd(Poll poll, ProgressDisplay display, int waitSeconds)
    {
        requireNonNull(poll, "poll is null");
        requireNonNull(display, "display is null");
        JsonNode task = poll.task(0);
        display.update(task);
        while (!isTerminal(task)) {
            task = poll.task(waitSeconds);
            display.update(task);
        }
        return task;
    }

    /**
     * Runs {@link #untilEnd} on a daemon thread (for a CLI that copies the log on its own thread meanwhile); a failed
     * poll ends the watch quietly, since the caller reads the final state itself. Interrupt the thread to stop early.
     */
    public static Thread inBackground(Poll poll, ProgressDisplay display, int waitSeconds)
    {
        Thread thread = new Thread(() -> {
            try {
                untilEnd(poll, display, waitSeconds);
            }
            catch (RuntimeException e) {
                // the caller's own final poll reports a server that went away
            }
        }, "taskyard-progress");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
