package dev.taskyard.client.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Reads a {@code Retry-After} value: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
public final class RetryAfter
{
    private RetryAfter() {}

    /** The delay the value asks for, from {@code now}; empty when absent or unreadable; never negative. */
    public static Optional<Duration> parse(Optional<String> value, Instant now)
    {
        if (value.isEmpty()) {
            return Optional.empty();
        }
        String text = value.get().trim();
        if (text.matches("\\d{1,10}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(text)));
        }
        try {
            Instant at = ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            Duration delay = Duration.between(now, at);
            return Optional.of(delay.isNegative() ? Duration.ZERO : delay);
        }
        catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
