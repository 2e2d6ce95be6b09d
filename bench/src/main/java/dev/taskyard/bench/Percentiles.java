package dev.taskyard.bench;

import java.util.Arrays;

/** Percentiles of timing samples (nearest rank); the samples are not modified. */
final class Percentiles
{
    private Percentiles() {}

    static long median(long[] samples)
    {
        return of(samples, 50);
    }

    static long of(long[] samples, int percent)
    {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }
}
