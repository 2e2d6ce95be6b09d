package dev.taskyard.engine.docker.internal;

/**
 * CPU, memory and process limits of one container, or the defaults or maxima of an engine.
 *
 * @param cpus CPUs, fractions allowed; positive
 * @param memoryMiB memory in MiB (swap is not granted on top); positive
 * @param pids the most processes at once; positive
 */
public record ResourceLimits(double cpus, long memoryMiB, long pids)
{
    public ResourceLimits
    {
        if (!(cpus > 0) || memoryMiB <= 0 || pids <= 0) {
            throw new IllegalArgumentException("limits must be positive: " + cpus + " CPUs, " + memoryMiB
                    + " MiB, " + pids + " pids");
        }
    }

    /** The CPU limit in the daemon's unit, billionths of a CPU. */
    public long nanoCpus()
    {
        return Math.round(cpus * 1_000_000_000d);
    }

    /** The memory limit in bytes. */
    public long memoryBytes()
    {
        return memoryMiB * 1024 * 1024;
    }
}
