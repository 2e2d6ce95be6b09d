package dev.taskyard.plugin.internal;

import dev.taskyard.plugin.BuildSandboxRequest;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;

/**
 * Which hooks a {@link TaskPlugin} class overrides, computed once per class, so that stages skip the default
 * no-op hooks without calling them. Thread-safe.
 */
public final class HookMask
{
    public static final int BUILD = 1;
    public static final int STARTED = 2;
    public static final int STOPPED = 4;
    public static final int FINISHED = 8;
    public static final int EXCEPTION = 16;
    public static final int DISPOSE = 32;

    private static final ClassValue<Integer> MASKS = new ClassValue<>()
    {
        @Override
        protected Integer computeValue(Class<?> type)
        {
            return overrides(type, "buildSandbox", BuildSandboxRequest.class, BUILD)
                    | overrides(type, "started", StartedRequest.class, STARTED)
                    | overrides(type, "stopped", StoppedRequest.class, STOPPED)
                    | overrides(type, "finished", FinishedRequest.class, FINISHED)
                    | overrides(type, "exception", ExceptionRequest.class, EXCEPTION)
                    | overrides(type, "dispose", null, DISPOSE);
        }
    };

    private HookMask() {}

    /** The hooks {@code plugin}'s class overrides, as a bit set of the constants above. */
    public static int of(TaskPlugin plugin)
    {
        return MASKS.get(plugin.getClass());
    }

    private static int overrides(Class<?> type, String name, Class<?> parameter, int bit)
    {
        try {
            Class<?> declaring =
                    (parameter == null ? type.getMethod(name) : type.getMethod(name, parameter)).getDeclaringClass();
            return declaring == TaskPlugin.class ? 0 : bit;
        }
        catch (NoSuchMethodException e) {
            return bit;
        }
    }
}
