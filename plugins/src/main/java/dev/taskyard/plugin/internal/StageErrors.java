package dev.taskyard.plugin.internal;

import java.util.ArrayList;
import java.util.List;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ErrorCode;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.TaskContext;

/**
 * Turns the outcomes of a stage into one error, by priority: fatal internal error &gt; non-fatal internal error &gt;
 * malformed payload (the messages of every component merged, each prefixed with the component). An unexpected
 * exception is reported as an incident and becomes fatal. Errors that only reflect the task being aborted (its
 * context is cancelled) are ignored. When an internal error wins, the malformed messages go to the task log.
 * Used by {@link TaskPlugins} for plugin hooks and by the worker for engine calls, so both map errors alike.
 * Stateless and thread-safe.
 */
public final class StageErrors
{
    private StageErrors() {}

    public static void check(String stage, TaskContext context, List<? extends HookExecutor.Outcome<?>> outcomes)
            throws EngineException
    {
        FatalInternalErrorException fatal = null;
        NonFatalInternalErrorException nonFatal = null;
        List<MalformedPayloadException> malformed = null;
        for (HookExecutor.Outcome<?> outcome : outcomes) {
            Throwable error = outcome.error();
            if (error == null) {
                continue;
            }
            if (error instanceof MalformedPayloadException m) {
                if (malformed == null) {
                    malformed = new ArrayList<>();
                }
                malformed.add(prefixed(outcome.component(), m));
            }
            else if (error instanceof NonFatalInternalErrorException n) {
                nonFatal = nonFatal == null ? n : nonFatal;
            }
            else if (error instanceof FatalInternalErrorException f) {
                fatal = fatal == null ? f : fatal;
            }
            else if (isAbortEcho(context, error)) {
                if (error instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
            }
            else {
                String what = "unexpected " + error.getClass().getName() + " from " + outcome.component() + " in the "
                        + stage + " stage: " + error.getMessage();
                String incident = Incidents.report(context, what, error);
                FatalInternalErrorException wrapped =
                        new FatalInternalErrorException(what + " (incident id " + incident + ")", error);
                fatal = fatal == null ? wrapped : fatal;
            }
        }
        if (fatal != null || nonFatal != null) {
            if (malformed != null && context != null) {
                for (MalformedPayloadException m : malformed) {
                    for (String message : m.messages()) {
                        Incidents.writeTaskLog(context, "[taskyard] malformed payload: " + message);
                    }
                }
            }
            throw fatal != null ? fatal : nonFatal;
        }
        if (malformed != null) {
            throw malformed.size() == 1 ? malformed.get(0) : MalformedPayloadException.merge(malformed);
        }
    }

    /** Whether {@code error} is only the echo of an abort: the task's context is cancelled and the error says so. */
    public static boolean isAbortEcho(TaskContext context, Throwable error)
    {
        if (context == null || !context.isCancelled()) {
            return false;
        }
        if (error instanceof InterruptedException) {
            return true;
        }
        if (error instanceof EngineException e) {
            ErrorCode code = e.code();
            return code == ErrorCode.CANCELED || code == ErrorCode.SANDBOX_ABORTED
                    || code == ErrorCode.BUILDER_DISCARDED
                    || code == ErrorCode.SANDBOX_TERMINATED || code == ErrorCode.HANDLER_INTERRUPTED
                            || code == ErrorCode.SHELL_ABORTED;
        }
        return false;
    }

    private static MalformedPayloadException prefixed(String component, MalformedPayloadException error)
    {
        List<String> messages = new ArrayList<>(error.messages().size());
        for (String message : error.messages()) {
            messages.add(component.isEmpty() || message.startsWith(component) ? message : component + ": " + message);
        }
        return new MalformedPayloadException(messages, error);
    }
}
