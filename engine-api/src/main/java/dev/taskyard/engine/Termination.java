package dev.taskyard.engine;

import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * How a task's main process ended. Some engines cannot tell an exit code {@code 128+n} from death by signal
 * {@code n} (a shell reports both alike); they report a signal only when they know one was sent (a kill, the OOM
 * killer) and the exit code otherwise.
 *
 * @param exitCode the exit code, absent when the process was ended by a signal
 * @param signal the terminating signal number, absent when it exited normally
 * @param killed whether {@link Sandbox#kill()} (or the engine on the worker's behalf) ended it
 * @param timedOut whether it was ended because the task context's deadline passed
 * @param outOfMemory whether it was ended for exceeding its memory limit
 */
public record Termination(OptionalInt exitCode, OptionalInt signal, boolean killed,
        boolean timedOut, boolean outOfMemory)
{
    public Termination
    {
        requireNonNull(exitCode, "exitCode is null");
        requireNonNull(signal, "signal is null");
    }

    public static Termination exited(int exitCode)
    {
        return new Termination(OptionalInt.of(exitCode), OptionalInt.empty(), false, false, false);
    }

    public static Termination signalled(int signal)
    {
        return new Termination(OptionalInt.empty(), OptionalInt.of(signal), false, false, false);
    }

    /** A copy marked as killed, and as timed out when {@code deadline} is true. */
    public Termination asKilled(boolean deadline)
    {
        return new Termination(exitCode, signal, true, timedOut || deadline, outOfMemory);
    }

    /** Exit code 0, and not killed, timed out or out of memory. */
    public boolean exitedCleanly()
    {
        return exitCode.isPresent() && exitCode.getAsInt() == 0 && !killed && !timedOut && !outOfMemory;
    }
}
