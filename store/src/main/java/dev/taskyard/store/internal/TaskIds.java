package dev.taskyard.store.internal;

import java.security.SecureRandom;

/**
 * Makes task ids like ULIDs: 26 characters of Crockford base 32, 48 bits of milliseconds followed by 80 random bits.
 * Ids made by one generator increase strictly (within one millisecond the random part is incremented), so they sort
 * in creation order; ids match {@code [A-Za-z0-9_-]{1,64}}. Thread-safe.
 */
public final class TaskIds
{
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final long LOW_40 = (1L << 40) - 1;

    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private long high; // 40 random bits
    private long low; // 40 random bits

    /** A new id for a task created at {@code nowMillis}. */
    public synchronized String next(long nowMillis)
    {
        if (nowMillis > lastMillis) {
            lastMillis = nowMillis;
            high = random.nextLong() & LOW_40;
            low = random.nextLong() & LOW_40;
        }
        else {
            low++;
            if (low > LOW_40) {
                low = 0;
                high = (high + 1) & LOW_40;
                if (high == 0) {
                    lastMillis++;
                }
            }
        }
        char[] chars = new char[26];
        encode(lastMillis, chars, 0, 10);
        encode(high, chars, 10, 8);
        encode(low, chars, 18, 8);
        return new String(chars);
    }

    private static void encode(long value, char[] chars, int start, int length)
    {
        long rest = value;
        for (int i = start + length - 1; i >= start; i--) {
            chars[i] = ALPHABET[(int) (rest & 31)];
            rest >>>= 5;
        }
    }
}
