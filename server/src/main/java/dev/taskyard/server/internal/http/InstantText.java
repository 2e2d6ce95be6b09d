package dev.taskyard.server.internal.http;

import java.time.Instant;

/**
 * {@link Instant#toString()} without {@link java.time.format.DateTimeFormatter}: the same ISO-8601 text (UTC, seconds
 * always, the fraction in groups of three digits, as many as needed), written straight from the fields. The status
 * monitor of every task carries one or more instants, and the formatter was 40 % of writing one. Instants
 * outside the years 0000-9999 are left to {@link Instant#toString()}. Stateless; thread-safe.
 */
final class InstantText
{
    /** 0000-01-01T00:00:00Z. */
    private static final long MIN_SECOND = -62_167_219_200L;
    /** 10000-01-01T00:00:00Z. */
    private static final long END_SECOND = 253_402_300_800L;
    private static final long SECONDS_PER_DAY = 86_400;

    private InstantText() {}

    /** {@code instant.toString()}. */
    static String of(Instant instant)
    {
        long seconds = instant.getEpochSecond();
        if (seconds < MIN_SECOND || seconds >= END_SECOND) {
            return instant.toString();
        }
        long day = Math.floorDiv(seconds, SECONDS_PER_DAY);
        int secondOfDay = (int) Math.floorMod(seconds, SECONDS_PER_DAY);
        // civil date of a day count (days since 1970-01-01), as in java.time.LocalDate.ofEpochDay
        long zeroDay = day + 719_528 - 60; // days since 0000-03-01
        long era = Math.floorDiv(zeroDay, 146_097);
        long dayOfEra = zeroDay - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long monthIndex = (5 * dayOfYear + 2) / 153; // 0 = March
        int dayOfMonth = (int) (dayOfYear - (153 * monthIndex + 2) / 5 + 1);
        int month = (int) (monthIndex < 10 ? monthIndex + 3 : monthIndex - 9);
        int year = (int) (yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
        int nano = instant.getNano();
        int fraction = nano == 0 ? 0 : nano % 1_000_000 == 0 ? 3 : nano % 1_000 == 0 ? 6 : 9;
        char[] text = new char[20 + (fraction == 0 ? 0 : fraction + 1)];
        digits(text, 0, year, 4);
        text[4] = '-';
        digits(text, 5, month, 2);
        text[7] = '-';
        digits(text, 8, dayOfMonth, 2);
        text[10] = 'T';
        digits(text, 11, secondOfDay / 3_600, 2);
        text[13] = ':';
        digits(text, 14, secondOfDay / 60 % 60, 2);
        text[16] = ':';
        digits(text, 17, secondOfDay % 60, 2);
        int at = 19;
        if (fraction > 0) {
            text[at++] = '.';
            int value = fraction == 3 ? nano / 1_000_000 : fraction == 6 ? nano / 1_000 : nano;
            digits(text, at, value, fraction);
            at += fraction;
        }
        text[at] = 'Z';
        return new String(text);
    }

    private static void digits(char[] text, int start, int value, int count)
    {
        int rest = value;
        for (int i = start + count - 1; i >= start; i--) {
            text[i] = (char) ('0' + rest % 10);
            rest /= 10;
        }
    }
}
