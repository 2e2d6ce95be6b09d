package dev.taskyard.plugin.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.taskyard.engine.TaskLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Secrets are masked in every write pattern: whole, split across writes, byte by byte, overlapping, at the end. */
class MaskingTaskLogTest
{
    private static final String SECRET = "hunter2-very-secret";

    private final Path folder = createFolder();
    private final TaskLog inner = TaskLog.create(folder, 1024, Long.MAX_VALUE);

    private static Path createFolder()
    {
        try {
            return Files.createTempDirectory("masking-log");
        }
        catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterEach
    void dispose()
            throws Exception
    {
        inner.dispose();
        Files.deleteIfExists(folder);
    }

    @Test
    void aWholeSecretIsMasked()
    {
        TaskLog log = MaskingTaskLog.wrap(inner, Set.of(SECRET));
        log.write("token: " + SECRET + "\nnext line\n");
        assertThat(inner.contentAsString()).isEqualTo("token: ***\nnext line\n");
    }

    @Test
    void aSecretSplitAcrossTwoWritesIsMaskedAndHeldBackUntilDecided()
    {
        TaskLog log = MaskingTaskLog.wrap(inner, Set.of(SECRET));
        log.write("token: hunter2-ve");
        assertThat(inner.contentAsString()).as("the possible start of the secret is held back").isEqualTo("token: ");
        log.write("ry-secret done\n");
        assertThat(inner.contentAsString()).isEqualTo("token: *** done\n");
    }

    @Test
    void aSecretWrittenByteByByteIsMasked()
    {
        TaskLog log = MaskingTaskLog.wrap(inner, Set.of(SECRET));
        for (byte b : ("a" + SECRET + "b" + SECRET).getBytes(StandardCharsets.UTF_8)) {
            log.write(new byte[] {b}, 0, 1);
        }
        log.close();
        assertThat(inner.contentAsString()).isEqualTo("a***b***");
    }

    @Test
    void aPrefixThatTurnsOutNotToBeASecretIsWrittenUnchanged()
    {
        TaskLog log = MaskingTaskLog.wrap(inner, Set.of(SECRET));
        log.write("hunter2-v");
        log.write("ery-public\n");
        assertThat(inner.contentAsString()).isEqualTo("hunter2-very-public\n");
        log.write("ends with hunt");
        log.close();
        assertThat(inner.contentAsString()).as("close flushes the held-back bytes")
                .isEqualTo("hunter2-very-public\nends with hunt");
    }

    @Test
    void theLongestOfOverlappingSecretsWins()
    {
        TaskLog log = MaskingTaskLog.wrap(inner, Set.of("abcdefgh", "abcdefghijkl", "", "ghij"));
        log.write("x abcdefghijkl y abcdefgh z ghij\n");
        assertThat(inner.contentAsString()).isEqualTo("x *** y *** z ***\n");
    }

    @Test
    void noSecretMeansTheLogItself()
    {
        assertThat(MaskingTaskLog.wrap(inner, Set.of())).isSameAs(inner);
        assertThat(MaskingTaskLog.wrap(inner, Set.of(""))).isSameAs(inner);
    }

    @Test
    void randomSplitsNeverLeakASecret()
    {
        Random random = new Random(42);
        String text = ("ok " + SECRET + " and x" + SECRET + SECRET + "\n").repeat(20);
        for (int round = 0; round < 200; round++) {
            TaskLog target = TaskLog.create(folder, 1 << 20, Long.MAX_VALUE);
            TaskLog log = MaskingTaskLog.wrap(target, Set.of(SECRET));
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            int at = 0;
            while (at < bytes.length) {
                int length = Math.min(bytes.length - at, 1 + random.nextInt(25));
                log.write(bytes, at, length);
                at += length;
            }
            log.close();
            assertThat(target.contentAsString()).isEqualTo(text.replace(SECRET, "***"));
            target.dispose();
        }
    }

    @Test
    void concurrentWritersOfWholeLinesNeverLeakASecret()
            throws Exception
    {
        TaskLog log = MaskingTaskLog.wrap(inner, Set.of(SECRET));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        log.write("line " + SECRET + "\n");
                    }
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        }
        finally {
            pool.shutdown();
        }
        log.close();
        assertThat(inner.contentAsString()).doesNotContain(SECRET).contains("line ***\n");
        assertThat(inner.contentAsString().split("\n")).hasSize(800);
    }
}
