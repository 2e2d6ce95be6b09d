package dev.taskyard.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.taskyard.worker.Claim;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.taskyard.store.TestStores.claim;
import static dev.taskyard.store.TestStores.json;
import static dev.taskyard.store.TestStores.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Submitting, reading, listing, deleting and purging tasks. */
class SqliteTaskStoreTest
{
    @TempDir
    Path folder;

    private final TestStores.ManualClock clock = new TestStores.ManualClock();
    private SqliteTaskStore store;

    @AfterEach
    void close()
    {
        if (store != null) {
            store.close();
        }
    }

    private SqliteTaskStore open()
            throws Exception
    {
        store = TestStores.open(folder, clock);
        return store;
    }

    @Test
    void submitStoresAPendingTaskThatSurvivesReopening()
            throws Exception
    {
        open();
        Instant deadline = Instant.parse("2030-01-01T00:00:00Z");
        Submission submission = store.submit(new SubmitRequest(json("{\"b\":[1,2],\"a\":\"x\"}"), Optional.empty(),
                Optional.of(deadline)));
        assertThat(submission.created()).isTrue();
        TaskRecord task = submission.task();
        assertThat(task.taskId()).matches("[A-Za-z0-9_-]{1,64}");
        assertThat(task.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(task.attempt()).isZero();
        assertThat(task.createdAt()).isEqualTo(clock.instant());
        store.close();
        open();
        assertThat(store.get(task.taskId())).contains(task);
        assertThat(store.claim(claim(1)).get(0).task().deadline()).contains(deadline);
        assertThat(store.get("missing")).isEmpty();
    }

    @Test
    void idempotentSubmitsReturnTheFirstTaskOrConflict()
            throws Exception
    {
        open();
        Submission first = store.submit(request("{\"a\":1,\"b\":{\"c\":2.0}}", "key-1"));
        Submission again = store.submit(request("{\"b\":{\"c\":2},\"a\":1}", "key-1"));
        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThat(again.task().taskId()).isEqualTo(first.task().taskId());
        assertThatThrownBy(() -> store.submit(request("{\"a\":2}", "key-1")))
                .isInstanceOf(IdempotencyConflictException.class);
        assertThat(store.submit(request("{\"a\":1}", "key-2")).created()).isTrue();
        assertThat(store.countByStatus()).containsEntry(TaskStatus.PENDING, 2L);
    }

    @Test
    void aFullQueueRefusesSubmits()
            throws Exception
    {
        store = SqliteTaskStore.Options.builder(folder).clock(clock).maxPendingTasks(2).open();
        Submission keyed = store.submit(request("{}", "k"));
        store.submit(request("{}"));
        assertThatThrownBy(() -> store.submit(request("{}"))).isInstanceOf(QueueFullException.class);
        assertThat(store.submit(request("{}", "k")).task().taskId()).as("an idempotent repeat is not a new task")
                .isEqualTo(keyed.task().taskId());
        store.claim(claim(1));
        assertThat(store.submit(request("{}")).created()).isTrue();
    }

    @Test
    void listsNewestFirstInPages()
            throws Exception
    {
        open();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(store.submit(request("{\"i\":" + i + "}")).task().taskId());
            if (i % 3 == 0) {
                clock.advance(Duration.ofMillis(1));
            }
        }
        store.cancel(ids.get(2), "x");
        store.cancel(ids.get(5), "x");
        List<String> seen = new ArrayList<>();
        Optional<String> token = Optional.empty();
        int pages = 0;
        do {
            TaskPage page = store.list(Optional.empty(), 3, token);
            page.tasks().forEach(t -> seen.add(t.taskId()));
            token = page.nextPageToken();
            pages++;
        } while (token.isPresent());
        assertThat(pages).isEqualTo(3);
        List<String> newestFirst = new ArrayList<>(ids);
        java.util.Collections.reverse(newestFirst);
        assertThat(seen).containsExactlyElementsOf(newestFirst);
        TaskPage canceled = store.list(Optional.of(TaskStatus.CANCELED), 1, Optional.empty());
        assertThat(canceled.tasks()).extracting(TaskRecord::taskId).containsExactly(ids.get(5));
        TaskPage next = store.list(Optional.of(TaskStatus.CANCELED), 1, canceled.nextPageToken());
        assertThat(next.tasks()).extracting(TaskRecord::taskId).containsExactly(ids.get(2));
        assertThat(next.nextPageToken()).isEmpty();
        assertThatThrownBy(() -> store.list(Optional.empty(), 3, Optional.of("garbage!")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.list(Optional.empty(), 3, Optional.of("djE6eDp5")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.list(Optional.empty(), 0, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deleteForgetsTerminalTasksWithTheirFiles()
            throws Exception
    {
        open();
        String id = store.submit(request("{}")).task().taskId();
        Claim claim = store.claim(claim(1)).get(0);
        store.appendLog(id, "0", "hello".getBytes(), 0, 5);
        store.put(id, "0", "out/a.txt", new java.io.ByteArrayInputStream("a".getBytes()));
        assertThatThrownBy(() -> store.delete(id)).isInstanceOf(IllegalStateException.class);
        store.closeLog(id, "0");
        store.resolve(claim.lease(), TaskResolution.completed());
        assertThat(Files.exists(folder.resolve("logs").resolve(id))).isTrue();
        assertThat(store.delete(id)).isTrue();
        assertThat(store.get(id)).isEmpty();
        assertThat(store.delete(id)).isFalse();
        assertThat(store.list(id, "0")).isEmpty();
        assertThat(Files.exists(folder.resolve("logs").resolve(id))).isFalse();
        assertThat(Files.exists(folder.resolve("artifacts").resolve(id))).isFalse();
    }

    @Test
    void terminalTasksArePurgedAfterTheRetentionPeriod()
            throws Exception
    {
        store = SqliteTaskStore.Options.builder(folder).clock(clock).retention(Duration.ofHours(1)).open();
        String old = store.submit(request("{}")).task().taskId();
        String pending = store.submit(request("{}")).task().taskId();
        store.cancel(old, "x");
        store.put(old, "0", "a", new java.io.ByteArrayInputStream(new byte[] {1}));
        clock.advance(Duration.ofMinutes(59));
        String recent = store.submit(request("{}")).task().taskId();
        store.cancel(recent, "x");
        assertThat(store.purgeExpired()).isZero();
        clock.advance(Duration.ofMinutes(2));
        assertThat(store.purgeExpired()).isEqualTo(1);
        assertThat(store.get(old)).isEmpty();
        assertThat(Files.exists(folder.resolve("artifacts").resolve(old))).isFalse();
        assertThat(store.get(pending)).isPresent();
        assertThat(store.get(recent)).isPresent();
        clock.advance(Duration.ofHours(2));
        store.close();
        store = SqliteTaskStore.Options.builder(folder).clock(clock).retention(Duration.ofHours(1)).open();
        assertThat(store.get(recent)).as("purged on open").isEmpty();
        assertThat(store.get(pending)).isPresent();
    }

    @Test
    void awaitChangeWakesOnAChange()
            throws Exception
    {
        open();
        TaskRecord task = store.submit(request("{}")).task();
        assertThat(store.awaitChange(task.taskId(), task.version(), Duration.ZERO)).contains(task);
        assertThat(store.awaitChange(task.taskId(), task.version() - 1, Duration.ofMinutes(1))).contains(task);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch waiting = new CountDownLatch(1);
            Future<Optional<TaskRecord>> changed = pool.submit(() -> {
                waiting.countDown();
                return store.awaitChange(task.taskId(), task.version(), Duration.ofMinutes(5));
            });
            assertThat(waiting.await(1, TimeUnit.MINUTES)).isTrue();
            store.claim(claim(1));
            TaskRecord running = changed.get(1, TimeUnit.MINUTES).orElseThrow();
            assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
            assertThat(running.version()).isGreaterThan(task.version());
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(store.awaitChange("missing", 1, Duration.ofMinutes(1))).isEmpty();
    }

    @Test
    void everyChangeIncreasesTheVersion()
            throws Exception
    {
        open();
        TaskRecord task = store.submit(request("{}")).task();
        Claim claim = store.claim(claim(1)).get(0);
        long claimed = store.get(task.taskId()).orElseThrow().version();
        store.reportProgress(claim.lease(), 50);
        long progressed = store.get(task.taskId()).orElseThrow().version();
        store.resolve(claim.lease(), TaskResolution.completed());
        long resolved = store.get(task.taskId()).orElseThrow().version();
        assertThat(List.of(task.version(), claimed, progressed, resolved)).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void aClosedStoreRefusesCalls()
            throws Exception
    {
        open();
        store.close();
        assertThatThrownBy(() -> store.submit(request("{}"))).isInstanceOf(dev.taskyard.worker.QueueException.class);
        store.close();
    }
}
