package dev.taskyard.plugin.internal;

import dev.taskyard.engine.FatalInternalErrorException;

/**
 * A hook ran longer than the worker's hook limit. Already reported (worker log and task log, with an incident id);
 * fatal, because a thread is stuck.
 */
public class HookLivelockException extends FatalInternalErrorException
{
    public HookLivelockException(String message)
    {
        super(message);
    }
}
