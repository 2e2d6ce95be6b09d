package dev.taskyard.plugin.internal;

/**
 * How quickly one component's hook of one stage has returned lately, so that the hook executor can run a hook that
 * reliably returns at once without a helper thread standing by. A run counts as quick under {@link #QUICK_NANOS} of
 * wall-clock time. A site is trusted once it has recorded at least {@link #WINDOW} runs and at most
 * {@link #MAX_SLOW} of its last {@link #WINDOW} runs were slow; it loses the trust with the slow run that exceeds
 * that.
 *
 * <p>Why some slow runs are tolerated: on a busy machine a hook of a few microseconds is now and then descheduled in
 * the middle (its thread is preempted by another one) and so takes more than {@code QUICK_NANOS} of wall-clock time
 * without doing anything slow itself; dropping the trust at each such run made nearly every multi-hook stage hand
 * work to a helper thread that then found nothing to do. A hook that is slow by itself (it blocks, or computes for
 * long) is slow in most runs and loses the trust within {@code MAX_SLOW + 1} runs. In the runs in between, as for
 * any trusted hook, the executor's monitor gives the hooks waiting behind it a helper once it has run for
 * {@code forkAfter} (1 ms), so a hook's start is still never delayed by another hook for longer than about that.
 *
 * <p>Thread-safe; updates race benignly (a lost update drops one run from the history: it only delays, renews or
 * keeps the trust for a run or so).
 */
public final class HookSite
{
    /** A run under 50 µs is quick. */
    public static final long QUICK_NANOS = 50_000;
    /** How many of the latest runs decide the trust. */
    public static final int WINDOW = 32;
    /** How many slow runs among the latest {@link #WINDOW} a trusted site may have. */
    public static final int MAX_SLOW = 4;

    /** Bit i set: the run i runs ago (0 = the latest) was slow; only the low {@link #WINDOW} bits are kept. */
    private volatile int slowRuns;
    /** Runs recorded, up to {@link #WINDOW}. */
    private volatile int runs;

    /** Whether at least {@link #WINDOW} runs were recorded and at most {@link #MAX_SLOW} of the last ones were slow. */
    public boolean trusted()
    {
        return runs >= WINDOW && Integer.bitCount(slowRuns) <= MAX_SLOW;
    }

    /** Records one run that took {@code nanos}. */
    public void record(long nanos)
    {
        // WINDOW is 32: the shift drops the run that leaves the window
        slowRuns = slowRuns << 1 | (nanos >= QUICK_NANOS ? 1 : 0);
        if (runs < WINDOW) {
            runs = runs + 1;
        }
    }
}
