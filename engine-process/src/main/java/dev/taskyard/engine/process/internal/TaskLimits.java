package dev.taskyard.engine.process.internal;

/**
 * The cgroup limits of one task, immutable.
 *
 * @param cpus CPUs (CFS quota per period), fractions allowed
 * @param memoryMiB memory without swap, in MiB
 * @param pids the most processes (and threads) at once
 */
record TaskLimits(double cpus, long memoryMiB, int pids)
{
    @Override
    public String toString()
    {
        return "cpus " + cpus + ", memory " + memoryMiB + " MiB, pids " + pids;
    }
}
