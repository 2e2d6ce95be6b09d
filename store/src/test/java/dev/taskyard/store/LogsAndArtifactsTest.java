package dev.taskyard.store;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.taskyard.plugin.Artifact;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.store.TestStores.claim;
import static dev.taskyard.store.TestStores.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Run logs (followed live) and artifacts. */
class LogsAndArtifactsTest
{
    @TempDir
    Path folder;

    private SqliteTaskStore store;
    private String taskId;

    @BeforeEach
    void open()
            throws Exception
    {
        store = TestStores.open(folder, new TestStores.ManualClock());
        taskId = store.submit(request("{}")).task().taskId();
    }

    @AfterEach
    void close()
    {
        store.close();
    }

    private void append(String runId, String text)
            throws Exception
    {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        store.appendLog(taskId, runId, bytes, 0, bytes.length);
    }

    /** Reads until {@code expected} bytes arrived (or the stream ended). */
    private static String readBytes(InputStream in, int expected)
            throws Exception
    {
        byte[] buffer = new byte[expected];
        int total = 0;
        while (total < expected) {
            int n = in.read(buffer, total, expected - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return new String(buffer, 0, total, StandardCharsets.UTF_8);
    }

    @Test
    void aReaderFollowsTheLiveLogFromAnotherThreadUntilItIsClosed()
            throws Exception
    {
        store.claim(claim(1));
        append("0", "line 1\n");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (InputStream in = store.openLog(taskId, 0)) {
            assertThat(readBytes(in, 7)).isEqualTo("line 1\n");
            CountDownLatch reading = new CountDownLatch(1);
            Future<String> rest = pool.submit(() -> {
                reading.countDown();
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            });
            assertThat(reading.await(1, TimeUnit.MINUTES)).isTrue();
            append("0", "line 2\n");
            append("0", "line 3\n");
            assertThat(rest).isNotDone();
            store.closeLog(taskId, "0");
            assertThat(rest.get(1, TimeUnit.MINUTES)).isEqualTo("line 2\nline 3\n");
        }
        finally {
            pool.shutdownNow();
        }
        try (InputStream in = store.openLog(taskId, 7)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as("resumed from an offset")
                    .isEqualTo("line 2\nline 3\n");
        }
        assertThatThrownBy(() -> append("0", "late")).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void aReaderWaitingForTheFirstBytesEndsWhenTheTaskEnds()
            throws Exception
    {
        Claim claim = store.claim(claim(1)).get(0);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (InputStream in = store.openLog(taskId, 0)) {
            Future<byte[]> all = pool.submit(in::readAllBytes);
            append("0", "only\n");
            store.resolve(claim.lease(), TaskResolution.failed());
            assertThat(new String(all.get(1, TimeUnit.MINUTES), StandardCharsets.UTF_8)).isEqualTo("only\n");
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theLatestRunIsRead()
            throws Exception
    {
        TestStores.ManualClock clock = new TestStores.ManualClock();
        store.close();
        store = TestStores.open(folder.resolve("other"), clock);
        taskId = store.submit(request("{}")).task().taskId();
        store.claim(claim(1));
        append("0", "first run\n");
        clock.advance(java.time.Duration.ofMinutes(1));
        store.claim(claim(1));
        append("1", "second run\n");
        store.closeLog(taskId, "1");
        try (InputStream in = store.openLog(taskId, 0)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("second run\n");
        }
        assertThatThrownBy(() -> store.openLog("nope", 0)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.appendLog("../x", "0", new byte[1], 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void artifactsAreStoredListedAndOpened()
            throws Exception
    {
        Artifact a = store.put(taskId, "0", "public/out/a.txt",
                new ByteArrayInputStream("Hello".getBytes(StandardCharsets.UTF_8)));
        assertThat(a).isEqualTo(new Artifact("public/out/a.txt", 5, Optional.empty()));
        store.put(taskId, "0", "public/out", new ByteArrayInputStream(new byte[0]));
        Artifact.ArtifactError error = new Artifact.ArtifactError("file-missing-on-worker", "no /nope");
        store.putError(taskId, "0", "public/nope", error);
        assertThat(store.list(taskId, "0")).containsExactly(
                new Artifact("public/nope", 0, Optional.of(error)),
                new Artifact("public/out", 0, Optional.empty()),
                a);
        assertThat(store.list(taskId, "1")).isEmpty();
        try (InputStream in = store.open(taskId, "0", "public/out/a.txt")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("Hello");
        }
        assertThatThrownBy(() -> store.put(taskId, "0", "public/out/a.txt", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> store.putError(taskId, "0", "public/out/a.txt", error))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> store.open(taskId, "0", "public/nope")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.open(taskId, "0", "missing")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.put(taskId, "0", "../evil", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.put(taskId, "0", "/abs", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.put("no-such-task", "0", "x", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(NoSuchFileException.class);
        store.close();
        store = TestStores.open(folder, new TestStores.ManualClock());
        assertThat(store.list(taskId, "0")).hasSize(3);
    }

    @Test
    void concurrentPutsOfOneNameStoreOneArtifact()
            throws Exception
    {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            java.util.List<Future<Boolean>> puts = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] content = ("v" + i).getBytes(StandardCharsets.UTF_8);
                puts.add(pool.submit(() -> {
                    go.await();
                    try {
                        store.put(taskId, "0", "same", new ByteArrayInputStream(content));
                        return true;
                    }
                    catch (FileAlreadyExistsException e) {
                        return false;
                    }
                }));
            }
            go.countDown();
            int stored = 0;
            for (Future<Boolean> put : puts) {
                stored += put.get(1, TimeUnit.MINUTES) ? 1 : 0;
            }
            assertThat(stored).isEqualTo(1);
            assertThat(store.list(taskId, "0")).hasSize(1);
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aReaderFollowsALogWrittenThroughAnotherStoreOnTheSameFolder()
            throws Exception
    {
        store.claim(claim(1));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SqliteTaskStore other = TestStores.open(folder, new TestStores.ManualClock());
             InputStream in = other.openLog(taskId, 0)) {
            Future<byte[]> all = pool.submit(in::readAllBytes);
            append("0", "from the writer process\n");
            assertThat(all).isNotDone();
            store.closeLog(taskId, "0");
            assertThat(new String(all.get(1, TimeUnit.MINUTES), StandardCharsets.UTF_8))
                    .isEqualTo("from the writer process\n");
        }
        finally {
            pool.shutdownNow();
        }
    }
}
