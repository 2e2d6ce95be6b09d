package dev.taskyard.engine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.taskyard.engine.TestThreads.TIMEOUT;
import static dev.taskyard.engine.TestThreads.awaitParked;
import static dev.taskyard.engine.TestThreads.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskLogTest
{
    private static final long NO_CAP = Long.MAX_VALUE;

    @TempDir
    Path spillFolder;

    // --- live readers

    /** What one reader saw: the bytes, and whether the log was closed when it reached end-of-stream. */
    private record ReaderOutcome(byte[] bytes, boolean closedAtEof) {}

    private static ReaderOutcome readToEnd(TaskLog log, InputStream in, int bufferSize)
            throws IOException
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[bufferSize];
        while (true) {
            int n = in.read(buffer, 0, buffer.length);
            if (n < 0) {
                return new ReaderOutcome(out.toByteArray(), log.isClosed());
            }
            assertThat(n).isPositive();
            out.write(buffer, 0, n);
        }
    }

    /** 4 readers from offset 0 follow 1 writer of 10,000 numbered lines, both in memory and across a spill. */
    @ParameterizedTest(name = "memoryLimit {0}")
    @ValueSource(ints = {TaskLog.DEFAULT_MEMORY_LIMIT, 4096})
    void concurrentReadersSeeExactlyTheBytesWrittenInOrder(int memoryLimit)
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, memoryLimit, NO_CAP);
        StringBuilder expected = new StringBuilder();
        List<Callable<ReaderOutcome>> tasks = new ArrayList<>();
        int[] bufferSizes = {1, 7, 512, 64 * 1024};
        for (int bufferSize : bufferSizes) {
            tasks.add(() -> {
                try (InputStream in = log.newReader(0)) {
                    return readToEnd(log, in, bufferSize);
                }
            });
        }
        tasks.add(() -> {
            OutputStream stream = log.outputStream();
            for (int i = 0; i < 10_000; i++) {
                String line = "line " + i;
                switch (i % 4) {
                    case 0 -> log.writeLine(line);
                    case 1 -> log.write(line + "\n");
                    case 2 -> {
                        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
                        log.write(bytes, 0, bytes.length);
                    }
                    default -> {
                        stream.write('l');
                        stream.write(("ine " + i + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
                expected.append(line).append('\n');
            }
            stream.close();
            assertThat(log.isClosed()).as("closing the output stream does not close the log").isFalse();
            log.close();
            return null;
        });

        List<ReaderOutcome> outcomes = TestThreads.runTogether(tasks);

        byte[] written = expected.toString().getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bufferSizes.length; i++) {
            ReaderOutcome outcome = outcomes.get(i);
            assertThat(outcome.bytes()).as("reader with buffer %d", bufferSizes[i]).isEqualTo(written);
            assertThat(outcome.closedAtEof())
                    .as("reader with buffer %d saw end-of-stream only after close()", bufferSizes[i]).isTrue();
        }
        assertThat(log.size()).isEqualTo(written.length);
        assertThat(log.isSpilled()).isEqualTo(written.length > memoryLimit);
        assertThat(log.contentAsString()).isEqualTo(expected.toString());
        log.dispose();
    }

    @Test
    void readerBlockedInReadWakesUpAtClose()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write("abc");
        CompletableFuture<ReaderOutcome> outcome = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (InputStream in = log.newReader()) {
                outcome.complete(readToEnd(log, in, 16));
            }
            catch (Throwable e) {
                outcome.completeExceptionally(e);
            }
        }, "blocked-reader");
        reader.start();
        awaitParked(reader);
        assertThat(outcome).isNotDone();

        log.close();

        join(reader);
        assertThat(outcome.get().bytes()).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
        assertThat(outcome.get().closedAtEof()).isTrue();
    }

    @Test
    void readerBlockedInReadWakesUpForNewBytes()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        CompletableFuture<Integer> firstByte = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (InputStream in = log.newReader()) {
                firstByte.complete(in.read());
            }
            catch (Throwable e) {
                firstByte.completeExceptionally(e);
            }
        }, "waiting-reader");
        reader.start();
        awaitParked(reader);
        assertThat(firstByte).isNotDone();

        log.write("x");

        join(reader);
        assertThat(firstByte.get()).isEqualTo((int) 'x');
    }

    @Test
    void newReaderAtAnOffsetResumesMidStream()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write("hello world");
        InputStream middle = log.newReader(6);
        InputStream atEnd = log.newReader(11);
        InputStream beyondEnd = log.newReader(13);
        assertThat(middle.available()).isEqualTo(5);
        assertThat(atEnd.available()).isZero();
        assertThat(beyondEnd.available()).isZero();

        log.write(", and more");
        log.close();

        assertThat(new String(middle.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("world, and more");
        assertThat(new String(atEnd.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(", and more");
        assertThat(new String(beyondEnd.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("and more");
        assertThat(log.newReader(1_000).read()).isEqualTo(-1);
    }

    @Test
    void newReaderAtAnOffsetResumesInASpilledLog()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 16, NO_CAP);
        String content = "0123456789".repeat(10);
        log.write(content);
        log.close();

        assertThat(log.isSpilled()).isTrue();
        try (InputStream in = log.newReader(95)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("56789");
        }
    }

    @Test
    void newReaderRefusesANegativeOffset()
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);

        assertThatThrownBy(() -> log.newReader(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readerSingleByteReadsAndZeroLengthReads()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write(new byte[] {(byte) 0xff, 0x01}, 0, 2);
        log.close();
        InputStream in = log.newReader();

        assertThat(in.read(new byte[4], 0, 0)).isZero();
        assertThat(in.read()).isEqualTo(0xff);
        assertThat(in.read()).isEqualTo(0x01);
        assertThat(in.read()).isEqualTo(-1);
    }

    @Test
    void closedReaderFails()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write("abc");
        InputStream in = log.newReader();
        in.close();

        assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }

    // --- interruption

    @Test
    void readerInterruptedWhileBlockedGetsInterruptedIOException()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try (InputStream in = log.newReader()) {
                in.read();
            }
            catch (Throwable e) {
                failure.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        }, "interrupted-reader");
        reader.start();
        awaitParked(reader);

        reader.interrupt();

        join(reader);
        assertThat(failure.get()).isInstanceOf(InterruptedIOException.class);
        assertThat(stillInterrupted.get()).as("the interrupt status is kept").isTrue();
        assertThat(log.isClosed()).isFalse();
    }

    @Test
    void readerOfAnInterruptedThreadGetsInterruptedIOExceptionOnceItWouldBlock()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write("abc");
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            Thread.currentThread().interrupt();
            try (InputStream in = log.newReader()) {
                int b;
                while ((b = in.read()) >= 0) {
                    seen.write(b);
                }
            }
            catch (Throwable e) {
                failure.set(e);
            }
        }, "interrupted-reader");
        reader.start();
        join(reader);

        assertThat(seen.toString(StandardCharsets.UTF_8)).isEqualTo("abc");
        assertThat(failure.get()).isInstanceOf(InterruptedIOException.class);
    }

    /** A reader interrupted while it reads a spilled log must not break the log for the writer and other readers. */
    @Test
    void interruptedReaderOfASpilledLogLeavesTheLogIntact()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 16, NO_CAP);
        String first = "0123456789".repeat(10);
        log.write(first);
        assertThat(log.isSpilled()).isTrue();
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            Thread.currentThread().interrupt();
            try (InputStream in = log.newReader()) {
                byte[] buffer = new byte[7];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    seen.write(buffer, 0, n);
                }
            }
            catch (Throwable e) {
                failure.set(e);
            }
        }, "interrupted-spill-reader");
        reader.start();
        join(reader);

        assertThat(failure.get()).isInstanceOf(InterruptedIOException.class);
        assertThat(seen.toString(StandardCharsets.UTF_8)).isEqualTo(first);
        log.write("after");
        log.close();
        assertThat(log.contentAsString()).isEqualTo(first + "after");
        try (InputStream in = log.newReader()) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(first + "after");
        }
    }

    /** A writer whose thread is interrupted still appends to a spilled log, and the log stays usable. */
    @Test
    void writerOnAnInterruptedThreadLeavesASpilledLogIntact()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 16, NO_CAP);
        log.write("0123456789".repeat(2));
        assertThat(log.isSpilled()).isTrue();

        Thread.currentThread().interrupt();
        try {
            log.write("interrupted");
        }
        finally {
            assertThat(Thread.interrupted()).as("the interrupt status is left alone").isTrue();
        }
        log.write("!");
        log.close();

        assertThat(log.contentAsString()).isEqualTo("0123456789".repeat(2) + "interrupted!");
    }

    // --- memory bound and spilling

    @Test
    void outgrowingTheMemoryLimitSpillsToAFileThatDisposeDeletes()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        byte[] chunk = new byte[1024];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) ('a' + i % 26);
        }
        log.write(chunk, 0, chunk.length);
        assertThat(log.isSpilled()).as("exactly memoryLimit bytes stay in memory").isFalse();
        assertThat(spillFiles()).isEmpty();
        InputStream earlyReader = log.newReader();
        byte[] firstHalf = earlyReader.readNBytes(512);

        for (int i = 1; i < 100; i++) {
            log.write(chunk, 0, chunk.length);
        }

        assertThat(log.isSpilled()).isTrue();
        assertThat(spillFiles()).hasSize(1);
        assertThat(log.size()).isEqualTo(100 * 1024);
        String expected = new String(chunk, StandardCharsets.US_ASCII).repeat(100);
        assertThat(log.contentAsString()).isEqualTo(expected);
        log.close();
        ByteArrayOutputStream viaReader = new ByteArrayOutputStream();
        viaReader.write(firstHalf);
        viaReader.write(earlyReader.readAllBytes());
        assertThat(viaReader.toString(StandardCharsets.US_ASCII))
                .as("a reader started before the spill").isEqualTo(expected);

        log.dispose();

        assertThat(spillFiles()).isEmpty();
        assertThatThrownBy(log::contentAsString).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(earlyReader::read).isInstanceOf(IOException.class);
        log.dispose();
    }

    @Test
    void spillFolderIsCreatedWhenMissing()
            throws Exception
    {
        Path folder = spillFolder.resolve("not/yet/there");
        TaskLog log = TaskLog.create(folder, 8, NO_CAP);

        log.write("more than eight bytes");

        assertThat(log.isSpilled()).isTrue();
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files).hasSize(1);
        }
        log.dispose();
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void disposeWithoutSpillAndReadersAfterDispose()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write("abc");
        InputStream reader = log.newReader();

        log.dispose();

        assertThat(log.isClosed()).isTrue();
        assertThatThrownBy(reader::read).isInstanceOf(IOException.class).hasMessageContaining("disposed");
        log.write("x");
        assertThat(log.droppedAfterClose()).as("a write after dispose is dropped and counted").isEqualTo(1);
        assertThat(spillFiles()).isEmpty();
    }

    // --- the cap

    @Test
    void bytesBeyondTheCapAreDroppedAndCountedInANotice()
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, 100);
        String kept = "k".repeat(100);
        log.write("k".repeat(60));
        log.write("k".repeat(40) + "d".repeat(20));
        log.write("d".repeat(130));

        assertThat(log.size()).isEqualTo(100);
        assertThat(log.droppedBytes()).isEqualTo(150);
        assertThat(log.contentAsString()).isEqualTo(kept);

        log.close();

        String notice = "\n[taskyard] log truncated: 150 bytes dropped beyond the cap of 100 bytes\n";
        assertThat(log.contentAsString()).startsWith(kept).endsWith(notice).contains("150 bytes dropped");
        assertThat(log.contentAsString()).isEqualTo(kept + notice);
        assertThat(log.size()).as("the notice is stored").isEqualTo(100 + notice.length());
        assertThat(log.droppedBytes()).isEqualTo(150);

        log.close();

        assertThat(log.contentAsString()).as("close is idempotent; one notice").isEqualTo(kept + notice);
    }

    @Test
    void readersSeeTheNoticeBeforeEndOfStream()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, 3);
        InputStream in = log.newReader();
        log.write("abcdef");
        log.close();

        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("abc\n[taskyard] log truncated: 3 bytes dropped beyond the cap of 3 bytes\n");
    }

    @Test
    void zeroCapDropsEverything()
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, 0);
        log.write("abc");

        assertThat(log.size()).isZero();
        assertThat(log.droppedBytes()).isEqualTo(3);
    }

    @Test
    void noNoticeWithoutDroppedBytes()
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, 3);
        log.write("abc");
        log.close();

        assertThat(log.droppedBytes()).isZero();
        assertThat(log.contentAsString()).isEqualTo("abc");
    }

    // --- closing and arguments

    @Test
    void writesAfterCloseAreDroppedAndCounted()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, NO_CAP);
        log.write("abc");
        log.close();

        log.write("x");
        log.writeLine("yz");
        log.write(new byte[4], 0, 4);
        log.outputStream().write(1);

        assertThat(log.droppedAfterClose()).isEqualTo(1 + 3 + 4 + 1);
        assertThat(log.droppedBytes()).as("the cap's count is separate").isZero();
        assertThat(log.contentAsString()).isEqualTo("abc");
        assertThat(log.size()).isEqualTo(3);
    }

    @Test
    void constructorRefusesBadLimits()
    {
        assertThatThrownBy(() -> TaskLog.create(spillFolder, 0, NO_CAP)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TaskLog.create(spillFolder, 1024, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TaskLog.create(null, 1024, NO_CAP)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void writeChecksItsBoundsWithoutSideEffects()
    {
        TaskLog log = TaskLog.create(spillFolder, 1024, 100);
        byte[] bytes = new byte[10];

        assertThatThrownBy(() -> log.write(bytes, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> log.write(bytes, 0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> log.write(bytes, 5, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> log.write(bytes, 1, Integer.MAX_VALUE)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> log.write(null, 0, 0)).isInstanceOf(NullPointerException.class);

        assertThat(log.size()).isZero();
        assertThat(log.droppedBytes()).isZero();
        assertThat(log.isSpilled()).isFalse();
        log.write(bytes, 10, 0);
        assertThat(log.size()).isZero();
    }

    @Test
    void contentIsDecodedAsUtf8()
    {
        TaskLog log = TaskLog.create(spillFolder, 4, NO_CAP);
        log.write("grüße ✓");

        assertThat(log.contentAsString()).isEqualTo("grüße ✓");
        assertThat(log.size()).isEqualTo("grüße ✓".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void manyReadersFromManyOffsetsOfALiveLog()
            throws Exception
    {
        TaskLog log = TaskLog.create(spillFolder, 256, NO_CAP);
        List<CompletableFuture<String>> readers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int offset = 0; offset < 2_000; offset += 250) {
            long start = offset;
            CompletableFuture<String> result = new CompletableFuture<>();
            readers.add(result);
            Thread thread = new Thread(() -> {
                try (InputStream in = log.newReader(start)) {
                    result.complete(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
                }
                catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            threads.add(thread);
            thread.start();
        }
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            String piece = String.format("%04d|", i);
            log.write(piece);
            expected.append(piece);
        }
        log.close();

        for (int i = 0; i < readers.size(); i++) {
            join(threads.get(i));
            assertThat(readers.get(i).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                    .isEqualTo(expected.substring(i * 250));
        }
    }

    private List<Path> spillFiles()
            throws IOException
    {
        try (Stream<Path> files = Files.list(spillFolder)) {
            return files.toList();
        }
    }
}
