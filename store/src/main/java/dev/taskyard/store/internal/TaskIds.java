package dev.taskyard.store.internal;

import java.security.SecureRandom;

/**
 * Makes task ids like ULIDs: 26 characters of Crockford base 32, 48 bits of milliseconds followed by 80 random bits.
 * Ids made by one generator increase strictly (within one millisecond the random part is incremented), so they sort
 * in creation order; ids match {@code [A-Za-z0-9_-]{1,64}}. The 80 random bits of each new millisecond are one draw
 * from a {@link SecureRandom}, so the first id of a millisecond cannot be guessed from earlier ones; the ids after it
 * in the same millisecond can (as with monotonic ULIDs). Thread-safe.
 */
public final class TaskIds
{
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final long LOW_40 = (1L << 40) - 1;

    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private long high; // 40 random bits
    private long low; // 40 random bits
    private final byte[] draw = new byte[10]; // the 80 random bits of a new millisecond, drawn in one call

    /** A new id for a task created at {@code nowMillis}. */
    public synchronized String next(long nowMillis)
    {
        if (nowMillis > lastMillis) {
            lastMillis = nowMillis;
            random.nextBytes(draw);
            high = bits40(draw, 0);
            low = bits40(draw, 5);
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

    private static long bits40(byte[] bytes, int start)
    {
        long value = 0;
        for (int i = start; i < start + 5; i++) {
            value = (value << 8) | (bytes[i] & 0xFF);
        }
        return value;
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
