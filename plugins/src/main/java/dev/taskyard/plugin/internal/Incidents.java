package dev.taskyard.plugin.internal;

import java.util.concurrent.ThreadLocalRandom;

import dev.taskyard.engine.TaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports unexpected errors once, with an incident id in the worker log (logger {@code dev.taskyard.incidents}, level
 * ERROR, with the stack trace) and, when a task is concerned and its log is still open, a line naming the id in the
 * task log. Task authors see the id, operators find the details by it. Thread-safe.
 */
public final class Incidents
{
    private static final Logger LOG = LoggerFactory.getLogger("dev.taskyard.incidents");

    private Incidents() {}

    /** A short random id, e.g. {@code 3f9a0c1d2b7e4a55}. */
    public static String newId()
    {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /**
     * Logs {@code what} with the error and an incident id, writes a line naming the id to the task log and returns
     * the id.
     */
    public static String report(TaskContext context, String what, Throwable error)
    {
        String id = newId();
        if (context == null) {
            LOG.error("{} (incident id {})", what, id, error);
        }
        else {
            LOG.error("{} in {} (incident id {})", what, context, id, error);
            writeTaskLog(context, "[taskyard] unhandled worker error: " + what + "; incident id " + id);
        }
        return id;
    }

    /** Writes a line to the task log; dropped if it is closed (the worker log has the report). */
    public static void writeTaskLog(TaskContext context, String line)
    {
        context.log().writeLine(line);
    }
}
