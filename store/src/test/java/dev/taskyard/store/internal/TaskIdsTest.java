package dev.taskyard.store.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TaskIdsTest
{
    private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    @Test
    void idsEncodeTheirMillisecondAndIncreaseStrictly()
    {
        TaskIds ids = new TaskIds();
        String previous = "";
        for (long millis = 1_700_000_000_000L; millis < 1_700_000_000_050L; millis++) {
            for (int i = 0; i < 20; i++) {
                String id = ids.next(millis);
                assertThat(id).matches("[0-9A-HJKMNP-TV-Z]{26}");
                assertThat(decode(id.substring(0, 10))).isEqualTo(millis);
                assertThat(id).isGreaterThan(previous);
                previous = id;
            }
        }
    }

    @Test
    void aClockGoingBackStillGivesIncreasingIds()
    {
        TaskIds ids = new TaskIds();
        String first = ids.next(2_000);
        assertThat(ids.next(1_000)).isGreaterThan(first);
    }

    @Test
    void everyOneOfTheEightyRandomBitsVariesBetweenMilliseconds()
    {
        // the random part of the first id of each millisecond is a fresh draw: over 400 draws each of its 80 bits
        // is seen both set and clear (a bit stuck at either value would fail with probability 2^-399)
        TaskIds ids = new TaskIds();
        long[] seenSet = new long[2];
        long[] seenClear = new long[2];
        for (int i = 0; i < 400; i++) {
            String id = ids.next(10_000L + 10 * i);
            long high = decode(id.substring(10, 18));
            long low = decode(id.substring(18, 26));
            seenSet[0] |= high;
            seenSet[1] |= low;
            seenClear[0] |= ~high;
            seenClear[1] |= ~low;
        }
        long forty = (1L << 40) - 1;
        for (int half = 0; half < 2; half++) {
            assertThat(seenSet[half] & forty).as("bits ever set, half %d", half).isEqualTo(forty);
            assertThat(seenClear[half] & forty).as("bits ever clear, half %d", half).isEqualTo(forty);
        }
    }

    @Test
    void twoGeneratorsDrawDifferentRandomParts()
    {
        assertThat(new TaskIds().next(5_000)).isNotEqualTo(new TaskIds().next(5_000));
    }

    @Test
    void concurrentCallersGetDistinctIdsIncreasingPerThread()
            throws Exception
    {
        TaskIds ids = new TaskIds();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                futures.add(pool.submit(() -> {
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 5_000; i++) {
                        mine.add(ids.next(System.currentTimeMillis()));
                    }
                    return mine;
                }));
            }
            Set<String> all = new HashSet<>();
            for (Future<List<String>> future : futures) {
                List<String> mine = future.get();
                for (int i = 1; i < mine.size(); i++) {
                    assertThat(mine.get(i)).isGreaterThan(mine.get(i - 1));
                }
                all.addAll(mine);
            }
            assertThat(all).hasSize(8 * 5_000);
        }
        finally {
            pool.shutdownNow();
        }
    }

    private static long decode(String base32)
    {
        long value = 0;
        for (char c : base32.toCharArray()) {
            value = (value << 5) | ALPHABET.indexOf(c);
        }
        return value;
    }
}
