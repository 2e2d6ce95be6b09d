package dev.taskyard.client;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * How {@link TaskyardClient#waitFor} polls.
 *
 * <p>The pause between two polls is the server's {@code Retry-After} (or {@code minInterval} without one) clamped to
 * [{@code minInterval}, {@code maxInterval}] and to the time left before the wait's deadline. When
 * {@code longPollWait} is positive, the client long-polls with {@code ?wait=S} (S at most {@code longPollWait} and at
 * most the time left) and {@code If-None-Match}, and pauses only when the server answered "unchanged" sooner than
 * asked; a server that rejects {@code ?wait} with 400 is polled plainly from then on.
 */
public record PollSettings(Duration minInterval, Duration maxInterval, Duration longPollWait)
{
    public PollSettings
    {
        requireNonNull(minInterval, "minInterval is null");
        requireNonNull(maxInterval, "maxInterval is null");
        requireNonNull(longPollWait, "longPollWait is null");
        if (minInterval.isNegative() || maxInterval.compareTo(minInterval) < 0 || longPollWait.isNegative()) {
            throw new IllegalArgumentException("need 0 <= minInterval <= maxInterval and longPollWait >= 0");
        }
    }

    /** 0.5 s to 10 s between polls, long polls of up to 30 s. */
    public static PollSettings defaults()
    {
        return new PollSettings(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /** A copy that never long-polls. */
    public PollSettings withoutLongPoll()
    {
        return new PollSettings(minInterval, maxInterval, Duration.ZERO);
    }

    /** The pause after an answer with the given {@code Retry-After}, before the deadline clamp. */
    public Duration clamp(Duration retryAfter)
    {
        Duration pause = retryAfter == null ? minInterval : retryAfter;
        if (pause.compareTo(minInterval) < 0) {
            return minInterval;
        }
        return pause.compareTo(maxInterval) > 0 ? maxInterval : pause;
    }
}
