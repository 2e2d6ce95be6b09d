package dev.taskyard.plugin.internal;

/**
 * How quickly one component's hook of one stage has returned lately, so that the hook executor can run a hook that
 * reliably returns at once without a helper thread standing by. A run counts as quick under {@link #QUICK_NANOS};
 * a site is trusted after {@link #TRUST_AFTER} quick runs in a row, and loses the trust with its first slow run.
 * Thread-safe; updates race benignly (a lost update only delays or renews the trust).
 */
public final class HookSite
{
    /** A run under 50 µs is quick. */
    public static final long QUICK_NANOS = 50_000;
    /** Quick runs in a row before the site is trusted. */
    public static final int TRUST_AFTER = 32;

    private volatile int streak;

    /** Whether the last {@link #TRUST_AFTER} runs (at least) were all quick. */
    public boolean trusted()
    {
        return streak >= TRUST_AFTER;
    }

    /** Records one run that took {@code nanos}. */
    public void record(long nanos)
    {
        if (nanos >= QUICK_NANOS) {
            streak = 0;
        }
        else if (streak < TRUST_AFTER) {
            streak = streak + 1;
        }
    }
}
