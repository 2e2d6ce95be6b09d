package dev.taskyard.server.internal.http;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

class InstantTextTest
{
    @Test
    void isInstantToStringForAnyInstant()
    {
        // seconds from before year 0 to after year 9999; nanos of every shape (none, millis, micros, nanos)
        qt().withExamples(20_000)
                .forAll(longs().between(-62_167_219_200L - 86_400L * 800, 253_402_300_800L + 86_400L * 800),
                        integers().between(0, 999_999_999), integers().between(0, 3))
                .checkAssert((seconds, nanos, shape) -> {
                    int nano = switch (shape) {
                        case 0 -> 0;
                        case 1 -> nanos / 1_000_000 * 1_000_000;
                        case 2 -> nanos / 1_000 * 1_000;
                        default -> nanos;
                    };
                    Instant instant = Instant.ofEpochSecond(seconds, nano);
                    assertThat(InstantText.of(instant)).isEqualTo(instant.toString());
                });
    }

    @Test
    void isInstantToStringForMillisecondsAroundNow()
    {
        qt().withExamples(20_000)
                .forAll(longs().between(0, 4_102_444_800_000L))
                .checkAssert(millis -> assertThat(InstantText.of(Instant.ofEpochMilli(millis)))
                        .isEqualTo(Instant.ofEpochMilli(millis).toString()));
    }

    @Test
    void edges()
    {
        for (Instant instant : List.of(Instant.EPOCH, Instant.MIN, Instant.MAX, Instant.ofEpochSecond(-1),
                Instant.ofEpochSecond(-62_167_219_200L), Instant.ofEpochSecond(-62_167_219_201L, 999_999_999),
                Instant.ofEpochSecond(253_402_300_799L, 999_999_999), Instant.ofEpochSecond(253_402_300_800L),
                Instant.parse("2000-02-29T23:59:59.5Z"), Instant.parse("1900-03-01T00:00:00.000001Z"),
                Instant.parse("2026-12-07T14:00:00.120Z"), Instant.ofEpochSecond(951_782_400L, 1))) {
            assertThat(InstantText.of(instant)).isEqualTo(instant.toString());
        }
    }
}
