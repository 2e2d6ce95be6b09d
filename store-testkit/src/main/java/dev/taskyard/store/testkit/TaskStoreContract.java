package dev.taskyard.store.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskEndReason;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.store.IdempotencyConflictException;
import dev.taskyard.store.QueueFullException;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.Submission;
import dev.taskyard.store.TaskPage;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.TaskStore;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.ReclaimedRun;
import dev.taskyard.worker.TaskQueue;
import dev.taskyard.worker.TaskResolution;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract every {@link TaskStore} implementation passes: extend this class in the implementation's tests and
 * implement {@link #openStore}. Shaped like Trino's {@code BaseConnectorTest}: optional abilities are declared with
 * {@link #supports(Behavior)}, and the tests of an ability a store lacks check that it says so.
 *
 * <p>Life-cycle: before each test the kit calls {@link #createDatabase()}, which must give the test a fresh, empty
 * database (a folder, a PostgreSQL schema or database); every {@link #openStore} of that test opens another store
 * instance on that same database, as several processes or hosts would. The kit closes every store it opened after
 * the test, then calls {@link #dropDatabase()}.
 *
 * <p>Times: the stores of a test share one {@link ManualClock} (see {@link StoreSettings#clock()}): lease expiry and
 * retention are tested by moving it, never by sleeping. Waits for wake-ups are bounded generously (seconds), so the
 * suite does not depend on the machine's speed.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
public abstract class TaskStoreContract
{
    /** Abilities a store may lack. */
    public enum Behavior
    {
        /**
         * Changes made through one instance reach the {@linkplain TaskStore#addChangeListener change listeners} and
         * the {@linkplain TaskQueue#onCancel cancel listeners} registered on another instance on the same database
         * (e.g. through {@code LISTEN/NOTIFY}).
         */
        CROSS_INSTANCE_LISTENERS,
    }

    /**
     * How the kit wants a store opened.
     *
     * @param clock decides creation times, lease expiry and retention
     * @param maxAttempts how often a task is handed out at most
     * @param maxPendingTasks submits fail with {@link QueueFullException} beyond this many PENDING tasks
     * @param retention terminal tasks completed longer ago are purged by {@link #purgeExpired}
     */
    public record StoreSettings(Clock clock, int maxAttempts, long maxPendingTasks, Duration retention)
    {
        public StoreSettings
        {
            requireNonNull(clock, "clock is null");
            requireNonNull(retention, "retention is null");
        }

        public StoreSettings withMaxAttempts(int value)
        {
            return new StoreSettings(clock, value, maxPendingTasks, retention);
        }

        public StoreSettings withMaxPendingTasks(long value)
        {
            return new StoreSettings(clock, maxAttempts, value, retention);
        }

        public StoreSettings withRetention(Duration value)
        {
            return new StoreSettings(clock, maxAttempts, maxPendingTasks, value);
        }
    }

    protected static final ObjectMapper JSON = new ObjectMapper();
    protected static final WorkerIdentity WORKER = new WorkerIdentity("kit", "w1");
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** How long a follower of a live run is watched to be sure it waits. */
    private static final Duration FOLLOWING = Duration.ofMillis(700);

    protected final ManualClock clock = new ManualClock();
    private final List<TaskStore> opened = new CopyOnWriteArrayList<>();
    private StoreSettings defaults;
    private TaskStore store;

    /** Gives the coming test a fresh, empty database. */
    protected abstract void createDatabase()
            throws Exception;

    /** Opens another store instance on the current test's database; the kit closes it. */
    protected abstract TaskStore openStore(StoreSettings settings)
            throws Exception;

    /** Deletes the terminal tasks whose retention has passed, as the store's maintenance would; returns how many. */
    protected abstract int purgeExpired(TaskStore store)
            throws Exception;

    /** Drops the current test's database; called after its stores are closed. */
    protected void dropDatabase()
            throws Exception
    {
    }

    /** Whether the store has an optional ability; none by default. */
    protected boolean supports(Behavior behavior)
    {
        return false;
    }

    @BeforeEach
    final void createTheDatabase()
            throws Exception
    {
        defaults = new StoreSettings(clock, 3, 100_000, Duration.ofDays(7));
        createDatabase();
    }

    @AfterEach
    final void closeTheStores()
            throws Exception
    {
        for (TaskStore each : opened) {
            each.close();
        }
        opened.clear();
        store = null;
        dropDatabase();
    }

    /** The test's first store instance, opened with the default settings. */
    protected final TaskStore store()
            throws Exception
    {
        if (store == null) {
            store = open(defaults);
        }
        return store;
    }

    /** Another store instance on the test's database (like another process or host). */
    protected final TaskStore open(StoreSettings settings)
            throws Exception
    {
        TaskStore opened = requireNonNull(openStore(settings), "openStore returned null");
        this.opened.add(opened);
        return opened;
    }

    protected final StoreSettings defaults()
    {
        return defaults;
    }

    protected static JsonNode json(String text)
    {
        try {
            return JSON.readTree(text);
        }
        catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    protected static SubmitRequest request(String payload)
    {
        return new SubmitRequest(json(payload), Optional.empty(), Optional.empty());
    }

    protected static SubmitRequest request(String payload, String idempotencyKey)
    {
        return new SubmitRequest(json(payload), Optional.of(idempotencyKey), Optional.empty());
    }

    protected static ClaimRequest claim(int max)
    {
        return new ClaimRequest(WORKER, max, Duration.ZERO, Duration.ofSeconds(10));
    }

    private String submit(TaskStore target, String payload)
            throws Exception
    {
        return target.submit(request(payload)).task().taskId();
    }

    private static TaskRecord get(TaskStore target, String taskId)
            throws Exception
    {
        return target.get(taskId).orElseThrow(() -> new AssertionError("no task " + taskId));
    }

    private static LeaseLostException.Reason reasonOf(Throwable e)
    {
        return ((LeaseLostException) e).reason();
    }

    private static String read(InputStream in)
            throws IOException
    {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void append(TaskStore target, String taskId, String runId, String text)
            throws IOException
    {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        target.appendLog(taskId, runId, bytes, 0, bytes.length);
    }

    // ---------------------------------------------------------------- submit, read, list

    @Test
    public void aSubmittedTaskIsPendingAndVisibleThroughEveryInstance()
            throws Exception
    {
        Submission submission = store().submit(request("{\"n\":1}"));
        assertThat(submission.created()).isTrue();
        TaskRecord task = submission.task();
        assertThat(task.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(task.payload()).isEqualTo(json("{\"n\":1}"));
        assertThat(task.createdAt()).isEqualTo(clock.instant());
        assertThat(task.attempt()).isZero();
        assertThat(get(store(), task.taskId())).isEqualTo(task);
        TaskStore other = open(defaults);
        assertThat(get(other, task.taskId())).isEqualTo(task);
        store().close();
        assertThat(get(open(defaults), task.taskId())).as("after reopening").isEqualTo(task);
        assertThat(other.get("no-such-task")).isEmpty();
    }

    @Test
    public void aSubmitReturnsTheStoredRecordAndKeepsNoHoldOnTheRequest()
            throws Exception
    {
        JsonNode payload = json("{\"image\":\"x\",\"n\":[1,2.5,{\"deep\":true}],\"s\":\"\\u00e9\"}");
        SubmitRequest keyed = new SubmitRequest(payload, Optional.of("key-record"),
                Optional.of(clock.instant().plusSeconds(60)));
        Submission submission = store().submit(keyed);
        assertThat(get(store(), submission.task().taskId())).isEqualTo(submission.task());
        ((ObjectNode) payload).put("image", "changed by the caller");
        assertThat(submission.task().payload()).as("the returned record after the caller changed its payload")
                .isEqualTo(json("{\"image\":\"x\",\"n\":[1,2.5,{\"deep\":true}],\"s\":\"\\u00e9\"}"));
        assertThat(get(store(), submission.task().taskId()).payload().get("image").asText()).isEqualTo("x");

        // key-less submits from many threads at once (a store may write them together): each gets its own record
        int threads = 8;
        int each = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<Submission>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Submission> mine = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        mine.add(store().submit(request("{\"t\":" + thread + ",\"i\":" + i + "}")));
                    }
                    return mine;
                }));
            }
            Set<String> ids = new HashSet<>();
            for (int t = 0; t < threads; t++) {
                List<Submission> mine = futures.get(t).get(60, TimeUnit.SECONDS);
                for (int i = 0; i < each; i++) {
                    Submission s = mine.get(i);
                    assertThat(s.created()).isTrue();
                    assertThat(s.task().payload()).isEqualTo(json("{\"t\":" + t + ",\"i\":" + i + "}"));
                    assertThat(get(store(), s.task().taskId())).isEqualTo(s.task());
                    ids.add(s.task().taskId());
                }
            }
            assertThat(ids).hasSize(threads * each);
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void idempotentSubmitsReturnTheFirstTaskOrConflict()
            throws Exception
    {
        Submission first = store().submit(request("{\"a\":1,\"b\":2}", "key-1"));
        Submission again = open(defaults).submit(request("{\"b\":2,\"a\":1}", "key-1"));
        assertThat(again.created()).isFalse();
        assertThat(again.task().taskId()).isEqualTo(first.task().taskId());
        assertThatThrownBy(() -> store().submit(request("{\"a\":2}", "key-1")))
                .isInstanceOf(IdempotencyConflictException.class);
        assertThat(store().submit(request("{\"a\":1,\"b\":2}", "key-2")).created()).isTrue();
        assertThat(store().countByStatus().get(TaskStatus.PENDING)).isEqualTo(2);
    }

    @Test
    public void racingSubmitsOfOneIdempotencyKeyCreateOneTask()
            throws Exception
    {
        List<TaskStore> stores = List.of(store(), open(defaults));
        int rounds = 20;
        int racers = 6;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            for (int round = 0; round < rounds; round++) {
                String key = "race-" + round;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Submission>> submits = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    TaskStore target = stores.get(i % stores.size());
                    submits.add(pool.submit(() -> {
                        go.await();
                        return target.submit(request("{\"round\":\"" + key + "\"}", key));
                    }));
                }
                go.countDown();
                Set<String> ids = new HashSet<>();
                int created = 0;
                for (Future<Submission> submit : submits) {
                    Submission submission = submit.get(1, TimeUnit.MINUTES);
                    ids.add(submission.task().taskId());
                    created += submission.created() ? 1 : 0;
                }
                assertThat(ids).as("round %s", round).hasSize(1);
                assertThat(created).as("round %s", round).isEqualTo(1);
            }
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(store().countByStatus().get(TaskStatus.PENDING)).isEqualTo(rounds);
    }

    @Test
    public void aFullStoreRefusesSubmits()
            throws Exception
    {
        TaskStore small = open(defaults.withMaxPendingTasks(2));
        submit(small, "{}");
        submit(small, "{}");
        assertThatThrownBy(() -> submit(small, "{}")).isInstanceOf(QueueFullException.class);
        small.claim(claim(1));
        submit(small, "{}");
        assertThat(small.countByStatus()).containsEntry(TaskStatus.PENDING, 2L).containsEntry(TaskStatus.RUNNING, 1L);
    }

    @Test
    public void listsNewestFirstInPagesOptionallyByStatus()
            throws Exception
    {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(submit(store(), "{\"i\":" + i + "}"));
            if (i % 2 == 0) {
                clock.advance(Duration.ofMillis(1)); // some tasks share a creation time, some do not
            }
        }
        List<String> newestFirst = new ArrayList<>(ids);
        Collections.reverse(newestFirst);
        List<String> seen = new ArrayList<>();
        Optional<String> token = Optional.empty();
        int pages = 0;
        do {
            TaskPage page = open(defaults).list(Optional.empty(), 3, token);
            page.tasks().forEach(task -> seen.add(task.taskId()));
            token = page.nextPageToken();
            pages++;
        }
        while (token.isPresent());
        assertThat(seen).containsExactlyElementsOf(newestFirst);
        assertThat(pages).isEqualTo(3);
        store().claim(claim(2));
        assertThat(store().list(Optional.of(TaskStatus.RUNNING), 10, Optional.empty()).tasks())
                .extracting(TaskRecord::taskId).containsExactly(ids.get(1), ids.get(0));
        assertThat(store().list(Optional.of(TaskStatus.PENDING), 10, Optional.empty()).tasks()).hasSize(5);
        assertThatThrownBy(() -> store().list(Optional.empty(), 3, Optional.of("not a token")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store().list(Optional.empty(), 0, Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    public void everyChangeIncreasesTheVersion()
            throws Exception
    {
        String id = submit(store(), "{}");
        long v1 = get(store(), id).version();
        Claim claim = store().claim(claim(1)).get(0);
        long v2 = get(store(), id).version();
        store().reportProgress(claim.lease(), 40);
        TaskRecord progressed = get(open(defaults), id);
        store().resolve(claim.lease(), TaskResolution.completed());
        long v4 = get(store(), id).version();
        assertThat(v1).isLessThan(v2);
        assertThat(v2).isLessThan(progressed.version());
        assertThat(progressed.progressPercent()).isEqualTo(40);
        assertThat(progressed.version()).isLessThan(v4);
        assertThat(get(store(), id).progressPercent()).isEqualTo(100);
    }

    // ---------------------------------------------------------------- claims, leases, resolution

    @Test
    public void claimsHandOutAtMostMaxInSubmissionOrder()
            throws Exception
    {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(submit(store(), "{\"i\":" + i + "}"));
            clock.advance(Duration.ofMillis(1));
        }
        List<Claim> first = store().claim(claim(3));
        assertThat(first).extracting(c -> c.task().taskId()).containsExactlyElementsOf(ids.subList(0, 3));
        assertThat(first.get(0).task().payload()).isEqualTo(json("{\"i\":0}"));
        assertThat(open(defaults).claim(claim(3))).extracting(c -> c.task().taskId())
                .containsExactlyElementsOf(ids.subList(3, 5));
        assertThat(store().claim(claim(3))).isEmpty();
    }

    @Test
    public void claimsRenewsAndResolvesIdempotently()
            throws Exception
    {
        String id = submit(store(), "{}");
        Claim claim = store().claim(claim(1)).get(0);
        Lease lease = claim.lease();
        assertThat(lease.taskId()).isEqualTo(id);
        assertThat(lease.attempt()).isZero();
        assertThat(lease.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        TaskRecord running = get(store(), id);
        assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(running.startedAt()).contains(clock.instant());
        clock.advance(Duration.ofSeconds(5));
        Lease renewed = open(defaults).renew(lease);
        assertThat(renewed.token()).isEqualTo(lease.token());
        assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        TaskResolution done =
                TaskResolution.completed().withResult(json("{\"answer\":42}")).withExitCode(OptionalInt.of(0));
        store().resolve(renewed, done);
        long version = get(store(), id).version();
        store().resolve(renewed, done); // the answer was lost and the worker repeats it
        open(defaults).resolve(lease, done);
        TaskRecord completed = get(store(), id);
        assertThat(completed.version()).as("a repeated resolution changes nothing").isEqualTo(version);
        assertThat(completed.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(completed.result()).contains(json("{\"answer\":42}"));
        assertThat(completed.exitCode()).hasValue(0);
        assertThat(completed.completedAt()).contains(clock.instant());
        assertThat(completed.error()).isEmpty();
        assertThatThrownBy(() -> store().renew(lease)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.RESOLVED));
        store().resolve(lease, TaskResolution.failed()); // the lease resolved already: a no-op, whatever it says now
        assertThat(get(store(), id).status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(get(store(), id).version()).isEqualTo(version);
    }

    @Test
    public void resolutionsMapToStatusesAndErrors()
            throws Exception
    {
        Map<TaskResolution, String> expected = Map.of(
                TaskResolution.failed().withExitCode(OptionalInt.of(3)), "FAILED task-failed",
                TaskResolution.failed(TaskEndReason.OUT_OF_MEMORY).withMessage("oom"), "FAILED out-of-memory",
                TaskResolution.exception(ExceptionReason.MALFORMED_PAYLOAD).withMessage("bad"),
                        "FAILED malformed-payload",
                TaskResolution.exception(ExceptionReason.INTERNAL_ERROR), "FAILED internal-error",
                TaskResolution.exception(ExceptionReason.DEADLINE_EXCEEDED), "FAILED deadline-exceeded",
                TaskResolution.exception(ExceptionReason.CANCELED), "CANCELED canceled");
        for (Map.Entry<TaskResolution, String> entry : expected.entrySet()) {
            String id = submit(store(), "{}");
            Claim claim = store().claim(claim(1)).get(0);
            assertThat(claim.task().taskId()).isEqualTo(id);
            store().resolve(claim.lease(), entry.getKey());
            TaskRecord task = get(store(), id);
            assertThat(task.status() + " " + task.error().orElseThrow().reason()).as("%s", entry.getKey())
                    .isEqualTo(entry.getValue());
            assertThat(task.error().get().title()).isNotBlank();
            assertThat(task.completedAt()).isPresent();
        }
        String id = submit(store(), "{}");
        Claim claim = store().claim(claim(1)).get(0);
        store().resolve(claim.lease(), TaskResolution.failed().withExitCode(OptionalInt.of(3)).withMessage("boom"));
        TaskRecord failed = get(store(), id);
        assertThat(failed.exitCode()).hasValue(3);
        assertThat(failed.error().orElseThrow().detail()).contains("boom");
    }

    @Test
    public void anExpiredLeaseHandsTheTaskOutAgainWithTheNextAttempt()
            throws Exception
    {
        String id = submit(store(), "{}");
        Lease first = store().claim(claim(1)).get(0).lease();
        assertThat(open(defaults).claim(claim(1))).as("the lease is live").isEmpty();
        clock.advance(Duration.ofSeconds(11));
        Lease second = open(defaults).claim(claim(1)).get(0).lease();
        assertThat(second.taskId()).isEqualTo(id);
        assertThat(second.attempt()).isEqualTo(1);
        assertThat(second.token()).isNotEqualTo(first.token());
        assertThat(get(store(), id).attempt()).isEqualTo(1);
        assertThatThrownBy(() -> store().renew(first)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.EXPIRED));
        assertThatThrownBy(() -> store().resolve(first, TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store().reportProgress(first, 50)).isInstanceOf(LeaseLostException.class);
        store().resolve(second, TaskResolution.completed());
        assertThat(get(store(), id).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    @Test
    public void anExpiredLeaseThatNobodyClaimedIsStillAccepted()
            throws Exception
    {
        String id = submit(store(), "{}");
        Lease lease = store().claim(claim(1)).get(0).lease();
        clock.advance(Duration.ofSeconds(11));
        store().resolve(lease, TaskResolution.completed());
        assertThat(get(store(), id).status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(store().claim(claim(1))).isEmpty();
    }

    @Test
    public void aTaskWhoseLastAttemptExpiredFailsWithWorkerCrash()
            throws Exception
    {
        TaskStore twice = open(defaults.withMaxAttempts(2));
        String id = submit(twice, "{}");
        twice.claim(claim(1));
        clock.advance(Duration.ofSeconds(11));
        assertThat(twice.claim(claim(1))).hasSize(1);
        clock.advance(Duration.ofSeconds(11));
        assertThat(twice.claim(claim(1))).isEmpty();
        TaskRecord task = get(twice, id);
        assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(task.error().orElseThrow().reason()).isEqualTo("worker-crash");
        assertThat(task.attempt()).isEqualTo(1);
    }

    @Test
    public void progressIsClampedAndNeedsTheCurrentLease()
            throws Exception
    {
        String id = submit(store(), "{}");
        Lease lease = store().claim(claim(1)).get(0).lease();
        store().reportProgress(lease, 150);
        assertThat(get(store(), id).progressPercent()).isEqualTo(100);
        store().reportProgress(lease, -3);
        assertThat(get(store(), id).progressPercent()).isZero();
        Lease forged = new Lease(id, 0, "forged", lease.expiresAt());
        assertThatThrownBy(() -> store().reportProgress(forged, 5)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store().renew(forged)).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store().resolve(forged, TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class);
    }

    // ---------------------------------------------------------------- cancel and release

    @Test
    public void cancellingEndsPendingTasksAndRevokesRunningLeases()
            throws Exception
    {
        String pending = submit(store(), "{}");
        String running = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        submit(store(), "{}");
        assertThat(store().cancel(pending, "not needed").orElseThrow().status()).isEqualTo(TaskStatus.CANCELED);
        Lease lease = store().claim(claim(1)).get(0).lease();
        assertThat(lease.taskId()).isEqualTo(running);
        TaskRecord cancelled = open(defaults).cancel(running, "stop it").orElseThrow();
        assertThat(cancelled.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(cancelled.error().orElseThrow().reason()).isEqualTo("canceled");
        assertThat(cancelled.error().get().detail()).contains("stop it");
        assertThatThrownBy(() -> store().renew(lease)).isInstanceOf(LeaseLostException.class)
                .satisfies(e -> assertThat(reasonOf(e)).isEqualTo(LeaseLostException.Reason.CANCELED));
        assertThatThrownBy(() -> store().resolve(lease, TaskResolution.completed()))
                .isInstanceOf(LeaseLostException.class);
        long version = get(store(), running).version();
        assertThat(store().cancel(running, "again")).map(TaskRecord::version).contains(version);
        assertThat(store().cancel("no-such-task", "x")).isEmpty();
        List<Claim> third = store().claim(claim(5));
        assertThat(third).hasSize(1).allSatisfy(c -> assertThat(c.task().taskId()).isNotIn(pending, running));
        store().resolve(third.get(0).lease(), TaskResolution.completed());
        clock.advance(Duration.ofMinutes(1));
        assertThat(store().claim(claim(5))).as("a cancelled task is never handed out again").isEmpty();
        assertThat(get(store(), running).status()).isEqualTo(TaskStatus.CANCELED);
    }

    @Test
    public void aCancelReachesTheLeaseHoldersListener()
            throws Exception
    {
        submit(store(), "{}");
        submit(store(), "{}");
        List<Claim> claims = store().claim(claim(2));
        CountDownLatch first = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        TaskQueue.Subscription subscription = store().onCancel(claims.get(0).lease(), () -> {
            calls.incrementAndGet();
            first.countDown();
        });
        AtomicBoolean closedCalled = new AtomicBoolean();
        store().onCancel(claims.get(1).lease(), () -> closedCalled.set(true)).close();
        store().cancel(claims.get(0).task().taskId(), "stop");
        store().cancel(claims.get(1).task().taskId(), "stop");
        assertThat(first.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        store().cancel(claims.get(0).task().taskId(), "again");
        subscription.close();
        assertThat(calls).hasValue(1);
        assertThat(closedCalled).isFalse();
        CountDownLatch already = new CountDownLatch(1);
        store().onCancel(claims.get(0).lease(), already::countDown).close();
        assertThat(already.getCount()).as("already cancelled: told at registration").isZero();
    }

    @Test
    public void aCancelThroughAnotherInstanceReachesTheLeaseHolder()
            throws Exception
    {
        submit(store(), "{}");
        Claim claim = store().claim(claim(1)).get(0);
        CountDownLatch told = new CountDownLatch(1);
        try (TaskQueue.Subscription ignored = store().onCancel(claim.lease(), told::countDown)) {
            open(defaults).cancel(claim.task().taskId(), "from elsewhere");
            if (supports(Behavior.CROSS_INSTANCE_LISTENERS)) {
                assertThat(told.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("told through the database").isTrue();
            }
            else {
                assertThatThrownBy(() -> store().renew(claim.lease())).as("the renewal is the backstop")
                        .isInstanceOf(LeaseLostException.class);
            }
        }
    }

    @Test
    public void aHandedBackLeaseRequeuesTheTaskWithoutUsingAnAttempt()
            throws Exception
    {
        String id = submit(store(), "{}");
        Lease lease = store().claim(claim(1)).get(0).lease();
        append(store(), id, "0", "partial\n");
        store().put(id, "0", "out.txt", new ByteArrayInputStream(new byte[] {1, 2}));
        assertThat(store().release(lease)).isTrue();
        TaskRecord pending = get(store(), id);
        assertThat(pending.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(pending.startedAt()).isEmpty();
        assertThat(pending.attempt()).isZero();
        assertThat(store().release(lease)).as("only once").isFalse();
        assertThatThrownBy(() -> store().renew(lease)).isInstanceOf(LeaseLostException.class);
        TaskStore other = open(defaults);
        Lease again = other.claim(claim(1)).get(0).lease();
        assertThat(again.attempt()).isZero();
        assertThat(again.token()).isNotEqualTo(lease.token());
        assertThat(other.list(id, "0")).as("the handed-back run's artifacts are gone").isEmpty();
        append(other, id, "0", "fresh\n");
        other.closeLog(id, "0");
        try (InputStream in = store().openLog(id, 0)) {
            assertThat(read(in)).isEqualTo("fresh\n");
        }
    }

    @Test
    public void aCancelledOrExpiredLeaseIsNotHandedBack()
            throws Exception
    {
        String a = submit(store(), "{}");
        submit(store(), "{}");
        List<Claim> claims = store().claim(claim(2));
        store().cancel(a, "stop");
        assertThat(store().release(claims.get(0).lease())).isFalse();
        assertThat(get(store(), a).status()).isEqualTo(TaskStatus.CANCELED);
        clock.advance(Duration.ofSeconds(11));
        Lease retaken = store().claim(claim(1)).get(0).lease();
        assertThat(store().release(claims.get(1).lease())).isFalse();
        assertThat(store().renew(retaken).token()).isEqualTo(retaken.token());
    }

    // ---------------------------------------------------------------- saved sandboxes and reclaims

    @Test
    public void aSavedSandboxIsReclaimedAfterARestartWithItsAttemptAndLog()
            throws Exception
    {
        TaskStore first = open(defaults);
        String id = submit(first, "{}");
        Lease lease = first.claim(claim(1)).get(0).lease();
        SandboxHandle handle = new SandboxHandle("kit-engine", "{\"pad\":\"" + "é".repeat(2000) + "\"}");
        assertThat(first.saveSandbox(lease, handle)).isTrue();
        append(first, id, "0", "before the restart\n");
        first.close();

        TaskStore second = open(defaults);
        clock.advance(Duration.ofSeconds(5));
        List<ReclaimedRun> runs = second.reclaim(WORKER, Duration.ofSeconds(10));
        assertThat(runs).hasSize(1);
        ReclaimedRun run = runs.get(0);
        assertThat(run.handle()).as("the handle survives the store's reopening").isEqualTo(handle);
        assertThat(run.logOffset()).as("the stored log's size").isEqualTo("before the restart\n".length());
        assertThat(run.claim().task().taskId()).isEqualTo(id);
        Lease reclaimed = run.claim().lease();
        assertThat(reclaimed.attempt()).as("the same attempt").isZero();
        assertThat(reclaimed.token()).as("a new token").isNotEqualTo(lease.token());
        assertThat(reclaimed.expiresAt()).isEqualTo(clock.instant().plusSeconds(10));
        assertThat(get(second, id).status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(get(second, id).attempt()).isZero();
        assertThatThrownBy(() -> second.renew(lease)).as("the old token is fenced")
                .isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> second.saveSandbox(lease, handle)).as("the old token saves nothing")
                .isInstanceOf(LeaseLostException.class);
        assertThat(second.renew(reclaimed).token()).isEqualTo(reclaimed.token());

        append(second, id, "0", "after\n");
        second.closeLog(id, "0");
        second.resolve(reclaimed, TaskResolution.completed());
        assertThat(get(second, id).status()).isEqualTo(TaskStatus.COMPLETED);
        try (InputStream in = second.openLog(id, 0)) {
            assertThat(read(in)).as("the log goes on where it stopped").isEqualTo("before the restart\nafter\n");
        }
        assertThat(second.reclaim(WORKER, Duration.ofSeconds(10))).as("a resolved run is not reclaimed").isEmpty();
    }

    @Test
    public void onlyTheLeaseHolderReclaimsAndOnlyRunsWithASavedSandbox()
            throws Exception
    {
        String a = submit(store(), "{}");
        String b = submit(store(), "{}");
        List<Claim> claims = store().claim(claim(2));
        Lease leaseA = claims.stream().filter(c -> c.task().taskId().equals(a)).findFirst().orElseThrow().lease();
        Lease leaseB = claims.stream().filter(c -> c.task().taskId().equals(b)).findFirst().orElseThrow().lease();
        SandboxHandle handle = new SandboxHandle("kit-engine", "a");
        store().saveSandbox(leaseA, handle);
        store().saveSandbox(leaseA, new SandboxHandle("kit-engine", "a, saved again"));
        WorkerIdentity other = new WorkerIdentity(WORKER.workerGroup(), "someone-else");
        assertThat(open(defaults).reclaim(other, Duration.ofSeconds(10)))
                .as("another worker reclaims nothing").isEmpty();
        assertThat(store().renew(leaseA).token()).as("and changes nothing").isEqualTo(leaseA.token());
        List<ReclaimedRun> mine = open(defaults).reclaim(WORKER, Duration.ofSeconds(10));
        assertThat(mine).as("only the run with a saved sandbox").hasSize(1);
        assertThat(mine.get(0).claim().task().taskId()).isEqualTo(a);
        assertThat(mine.get(0).handle().data()).as("the last save counts").isEqualTo("a, saved again");
        assertThatThrownBy(() -> store().renew(leaseB)).as("a run without a handle is handed back")
                .isInstanceOf(LeaseLostException.class);
        assertThat(get(store(), b).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(get(store(), b).attempt()).as("with its attempt").isZero();

        // once the lease expired and another worker claimed the task, the handle is gone with the old lease
        Lease reclaimedA = mine.get(0).claim().lease();
        clock.advance(Duration.ofSeconds(11));
        List<Claim> retaken = open(defaults).claim(new ClaimRequest(other, 2, Duration.ZERO, Duration.ofSeconds(10)));
        assertThat(retaken).hasSize(2);
        Claim retakenA = retaken.stream().filter(c -> c.task().taskId().equals(a)).findFirst().orElseThrow();
        Claim retakenB = retaken.stream().filter(c -> c.task().taskId().equals(b)).findFirst().orElseThrow();
        assertThat(retakenA.lease().attempt()).as("a's reclaimed lease expired: the next attempt").isEqualTo(1);
        assertThat(retakenB.lease().attempt()).as("b was handed back: its attempt again").isZero();
        assertThatThrownBy(() -> store().saveSandbox(reclaimedA, handle)).isInstanceOf(LeaseLostException.class);
        assertThat(store().reclaim(WORKER, Duration.ofSeconds(10))).as("the old holder reclaims nothing").isEmpty();

        // a cancelled task is not reclaimed (nor handed back)
        store().saveSandbox(retakenA.lease(), handle);
        store().cancel(a, "stop");
        assertThat(store().reclaim(other, Duration.ofSeconds(10))).isEmpty();
        assertThat(get(store(), a).status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(get(store(), b).status()).as("b had no handle: handed back").isEqualTo(TaskStatus.PENDING);
    }

    @Test
    public void aHandedBackRunForgetsItsSandbox()
            throws Exception
    {
        String id = submit(store(), "{}");
        Lease lease = store().claim(claim(1)).get(0).lease();
        store().saveSandbox(lease, new SandboxHandle("kit-engine", "x"));
        assertThat(store().release(lease)).isTrue();
        Lease again = store().claim(claim(1)).get(0).lease();
        assertThat(again.attempt()).isZero();
        append(store(), id, "0", "started without a saved sandbox\n");
        // the new run saved no handle: a reclaim cannot recover it, and hands it back to run again with its attempt
        assertThat(store().reclaim(WORKER, Duration.ofSeconds(10))).isEmpty();
        assertThatThrownBy(() -> store().renew(again)).isInstanceOf(LeaseLostException.class);
        assertThat(get(store(), id).status()).isEqualTo(TaskStatus.PENDING);
        Lease third = store().claim(claim(1)).get(0).lease();
        assertThat(third.attempt()).isZero();
        append(store(), id, "0", "fresh\n");
        store().closeLog(id, "0");
        try (InputStream in = store().openLog(id, 0)) {
            assertThat(read(in)).as("the handed-back run's log was discarded").isEqualTo("fresh\n");
        }
    }

    // ---------------------------------------------------------------- waiting and listening

    @Test
    public void aLongPollingClaimWakesOnASubmitThroughAnyInstance()
            throws Exception
    {
        TaskStore other = open(defaults);
        store().claim(claim(1)); // the store is up
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<List<Claim>> waiting =
                    pool.submit(() -> store().claim(new ClaimRequest(WORKER, 1, Duration.ofMinutes(1),
                    Duration.ofSeconds(10))));
            Thread.sleep(100);
            assertThat(waiting).isNotDone();
            String id = submit(other, "{}");
            assertThat(waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .extracting(c -> c.task().taskId()).containsExactly(id);
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void awaitChangeReturnsOnAChangeThroughAnyInstance()
            throws Exception
    {
        String id = submit(store(), "{}");
        long version = get(store(), id).version();
        assertThat(store().awaitChange(id, version, Duration.ofMillis(50))).map(TaskRecord::version).contains(version);
        assertThat(store().awaitChange(id, version - 1, Duration.ofMinutes(1)))
                .map(TaskRecord::version).contains(version);
        assertThat(store().awaitChange("no-such-task", 1, Duration.ofMinutes(1))).isEmpty();
        TaskStore other = open(defaults);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<TaskRecord>> waiting =
                    pool.submit(() -> store().awaitChange(id, version, Duration.ofMinutes(1)));
            Thread.sleep(100);
            assertThat(waiting).isNotDone();
            other.cancel(id, "wake up");
            assertThat(waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS).orElseThrow().status())
                    .isEqualTo(TaskStatus.CANCELED);
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void changeListenersHearEveryChange()
            throws Exception
    {
        Set<String> heard = ConcurrentHashMap.newKeySet();
        List<String> log = new CopyOnWriteArrayList<>();
        TaskStore listened = store();
        if (!listened.addChangeListener(taskId -> {
            heard.add(taskId);
            log.add(taskId);
        })) {
            return; // a store that reports no changes says so; callers poll
        }
        String id = submit(listened, "{}");
        assertThat(heard).containsExactly(id);
        log.clear();
        Lease lease = listened.claim(claim(1)).get(0).lease();
        listened.reportProgress(lease, 10);
        listened.resolve(lease, TaskResolution.completed());
        assertThat(log).as("claim, progress, resolve").containsExactly(id, id, id);
        listened.delete(id);
        assertThat(log).hasSize(4);
        if (supports(Behavior.CROSS_INSTANCE_LISTENERS)) {
            heard.clear();
            TaskStore other = open(defaults);
            String remote = submit(other, "{}");
            Lease remoteLease = other.claim(claim(1)).get(0).lease();
            other.resolve(remoteLease, TaskResolution.completed());
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!heard.contains(remote) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(heard).as("changes through another instance").contains(remote);
        }
    }

    // ---------------------------------------------------------------- delete and retention

    @Test
    public void deleteForgetsEndedTasksWithTheirLogsAndArtifacts()
            throws Exception
    {
        String id = submit(store(), "{}");
        assertThatThrownBy(() -> store().delete(id)).isInstanceOf(IllegalStateException.class);
        Lease lease = store().claim(claim(1)).get(0).lease();
        append(store(), id, "0", "log\n");
        store().closeLog(id, "0");
        store().put(id, "0", "a.txt", new ByteArrayInputStream(new byte[] {7}));
        assertThatThrownBy(() -> store().delete(id)).isInstanceOf(IllegalStateException.class);
        store().resolve(lease, TaskResolution.completed());
        assertThat(open(defaults).delete(id)).isTrue();
        assertThat(store().get(id)).isEmpty();
        assertThat(store().delete(id)).isFalse();
        assertThatThrownBy(() -> store().openLog(id, 0)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store().open(id, "0", "a.txt")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    public void terminalTasksArePurgedAfterTheRetentionPeriod()
            throws Exception
    {
        TaskStore shortLived = open(defaults.withRetention(Duration.ofHours(1)));
        String old = submit(shortLived, "{}");
        String pending = submit(shortLived, "{}");
        shortLived.cancel(old, "done with it");
        clock.advance(Duration.ofMinutes(30));
        String recent = submit(shortLived, "{}");
        shortLived.cancel(recent, "done with it too");
        assertThat(purgeExpired(shortLived)).isZero();
        clock.advance(Duration.ofMinutes(31));
        assertThat(purgeExpired(shortLived)).isEqualTo(1);
        assertThat(shortLived.get(old)).isEmpty();
        assertThat(shortLived.get(recent)).isPresent();
        assertThat(shortLived.get(pending)).as("unfinished tasks are kept").isPresent();
    }

    @Test
    public void aClosedStoreRefusesCalls()
            throws Exception
    {
        TaskStore closing = open(defaults);
        closing.close();
        closing.close();
        assertThatThrownBy(() -> closing.submit(request("{}"))).isInstanceOf(QueueException.class);
        assertThatThrownBy(() -> closing.claim(claim(1))).isInstanceOf(QueueException.class);
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    public void concurrentClaimersOnSeveralThreadsAndInstancesNeverHandOutATaskTwice()
            throws Exception
    {
        int tasks = 300;
        Set<String> submitted = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < tasks; i++) {
            submitted.add(submit(store(), "{\"i\":" + i + "}"));
        }
        List<TaskStore> stores = List.of(store(), open(defaults), open(defaults));
        int threads = 6;
        Map<String, Integer> claimedBy = new ConcurrentHashMap<>();
        List<String> duplicates = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int worker = t;
                TaskStore target = stores.get(t % stores.size());
                workers.add(pool.submit(() -> {
                    go.await();
                    int resolved = 0;
                    while (true) {
                        List<Claim> claims =
                                target.claim(new ClaimRequest(WORKER, 1 + worker % 4, Duration.ZERO,
                                Duration.ofMinutes(5)));
                        if (claims.isEmpty()) {
                            return resolved;
                        }
                        for (Claim c : claims) {
                            if (claimedBy.putIfAbsent(c.task().taskId(), worker) != null) {
                                duplicates.add(c.task().taskId());
                            }
                            target.renew(c.lease());
                            target.resolve(c.lease(), TaskResolution.completed());
                            resolved++;
                        }
                    }
                }));
            }
            go.countDown();
            int resolved = 0;
            for (Future<Integer> worker : workers) {
                resolved += worker.get(2, TimeUnit.MINUTES);
            }
            assertThat(duplicates).isEmpty();
            assertThat(resolved).isEqualTo(tasks);
            assertThat(claimedBy.keySet()).isEqualTo(submitted);
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(store().countByStatus()).containsEntry(TaskStatus.COMPLETED, (long) tasks)
                .containsEntry(TaskStatus.PENDING, 0L)
                .containsEntry(TaskStatus.RUNNING, 0L);
    }

    /**
     * Many resolutions at once, through several instances: every task is resolved twice at the same time with its
     * current lease (two outcomes, as after a lost answer with a changed mind) and once with the stale lease of its
     * previous attempt. The current lease's calls all succeed and exactly one outcome is stored, with one version
     * step; every stale call is refused and changes nothing.
     */
    @Test
    public void racingResolutionsStoreOneOutcomePerTaskAndRefuseStaleLeases()
            throws Exception
    {
        int tasks = 40;
        for (int i = 0; i < tasks; i++) {
            submit(store(), "{\"i\":" + i + "}");
        }
        Map<String, Lease> stale = new ConcurrentHashMap<>();
        store().claim(claim(tasks)).forEach(c -> stale.put(c.task().taskId(), c.lease()));
        clock.advance(Duration.ofSeconds(11));
        TaskStore other = open(defaults);
        List<Claim> current = other.claim(claim(tasks));
        assertThat(current).hasSize(tasks);
        Map<String, Long> versions = new HashMap<>();
        for (Claim c : current) {
            versions.put(c.task().taskId(), get(store(), c.task().taskId()).version());
        }
        List<TaskStore> stores = List.of(store(), other, open(defaults));
        record Call(Lease lease, TaskResolution resolution, boolean stale) {}
        List<Call> calls = new ArrayList<>();
        for (Claim c : current) {
            calls.add(new Call(c.lease(), TaskResolution.completed().withResult(json("{\"by\":1}")), false));
            calls.add(new Call(c.lease(), TaskResolution.completed().withResult(json("{\"by\":2}")), false));
            calls.add(new Call(stale.get(c.task().taskId()), TaskResolution.failed(), true));
        }
        Collections.shuffle(calls, new Random(12));
        int threads = 8;
        AtomicInteger next = new AtomicInteger();
        List<String> wrong = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                TaskStore target = stores.get(t % stores.size());
                workers.add(pool.submit(() -> {
                    go.await();
                    for (int i = next.getAndIncrement(); i < calls.size(); i = next.getAndIncrement()) {
                        Call call = calls.get(i);
                        try {
                            target.resolve(call.lease(), call.resolution());
                            if (call.stale()) {
                                wrong.add(call.lease().taskId() + ": a stale lease's resolution was accepted");
                            }
                        }
                        catch (LeaseLostException e) {
                            if (!call.stale()) {
                                wrong.add(call.lease().taskId() + ": the current lease was refused: " + e);
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> worker : workers) {
                worker.get(2, TimeUnit.MINUTES);
            }
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(wrong).isEmpty();
        for (Claim c : current) {
            TaskRecord task = get(store(), c.task().taskId());
            assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
            assertThat(task.result().orElseThrow()).isIn(json("{\"by\":1}"), json("{\"by\":2}"));
            assertThat(task.version()).as("one resolution, one version step")
                    .isEqualTo(versions.get(c.task().taskId()) + 1);
        }
    }

    @Test
    public void liveLeasesAreNeverLostToConcurrentClaimers()
            throws Exception
    {
        for (int i = 0; i < 20; i++) {
            submit(store(), "{}");
        }
        List<Claim> held = new ArrayList<>(store().claim(new ClaimRequest(WORKER, 20, Duration.ZERO,
                Duration.ofSeconds(30))));
        assertThat(held).hasSize(20);
        TaskStore other = open(defaults);
        AtomicBoolean stop = new AtomicBoolean();
        List<Claim> stolen = new CopyOnWriteArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> claimer = pool.submit(() -> {
                while (!stop.get()) {
                    stolen.addAll(other.claim(claim(5)));
                    submit(other, "{}");
                }
                return null;
            });
            for (int round = 0; round < 10; round++) {
                clock.advance(Duration.ofSeconds(10));
                for (int i = 0; i < held.size(); i++) {
                    Claim claim = held.get(i);
                    held.set(i, new Claim(claim.task(), store().renew(claim.lease())));
                }
            }
            stop.set(true);
            claimer.get(1, TimeUnit.MINUTES);
        }
        finally {
            pool.shutdownNow();
        }
        Set<String> heldIds = new HashSet<>();
        held.forEach(c -> heldIds.add(c.task().taskId()));
        assertThat(stolen).extracting(c -> c.task().taskId()).doesNotContainAnyElementsOf(heldIds);
        for (Claim claim : held) {
            store().resolve(claim.lease(), TaskResolution.completed());
        }
    }

    // ---------------------------------------------------------------- logs and artifacts

    @Test
    public void aLiveLogIsFollowedThroughAnotherInstanceAndResumedFromAnOffset()
            throws Exception
    {
        String id = submit(store(), "{}");
        store().claim(claim(1));
        TaskStore reader = open(defaults);
        append(store(), id, "0", "line 1\n");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (InputStream in = reader.openLog(id, 0)) {
            byte[] first = new byte[7];
            int total = 0;
            while (total < first.length) {
                int n = in.read(first, total, first.length - total);
                assertThat(n).isPositive();
                total += n;
            }
            assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("line 1\n");
            Future<String> rest = pool.submit(() -> read(in));
            append(store(), id, "0", "line 2\n");
            append(store(), id, "0", "line 3\n");
            Thread.sleep(50);
            assertThat(rest).as("the log is still open").isNotDone();
            store().closeLog(id, "0");
            assertThat(rest.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("line 2\nline 3\n");
        }
        finally {
            pool.shutdownNow();
        }
        try (InputStream in = reader.openLog(id, 7)) {
            assertThat(read(in)).isEqualTo("line 2\nline 3\n");
        }
        assertThatThrownBy(() -> append(store(), id, "0", "late")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> reader.openLog("no-such-task", 0)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store().appendLog("../x", "0", new byte[1], 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    public void aLogReaderEndsWhenTheTaskEnds()
            throws Exception
    {
        String id = submit(store(), "{}");
        Claim claim = store().claim(claim(1)).get(0);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (InputStream in = open(defaults).openLog(id, 0)) {
            Future<String> all = pool.submit(() -> read(in));
            append(store(), id, "0", "only\n");
            store().resolve(claim.lease(), TaskResolution.failed());
            assertThat(all.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("only\n");
        }
        finally {
            pool.shutdownNow();
        }
    }

    /**
     * Appends racing from several threads, the run's first append among them, each store their bytes whole and once;
     * an append to a task that does not exist fails with {@link NoSuchFileException}, one to a closed log with
     * another {@link IOException}.
     */
    @Test
    public void racingAppendsToOneRunStoreEveryChunkWholeAndOnce()
            throws Exception
    {
        String id = submit(store(), "{}");
        store().claim(claim(1));
        int threads = 8;
        int lines = 25;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> appenders = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                appenders.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < lines; i++) {
                        append(store(), id, "0", "thread " + thread + " line " + i + "\n");
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> appender : appenders) {
                appender.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
        }
        finally {
            pool.shutdownNow();
        }
        store().closeLog(id, "0");
        List<String> expected = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < lines; i++) {
                expected.add("thread " + t + " line " + i);
            }
        }
        try (InputStream in = open(defaults).openLog(id, 0)) {
            assertThat(read(in).split("\n")).containsExactlyInAnyOrderElementsOf(expected);
        }
        assertThatThrownBy(() -> append(store(), "no-such-task", "0", "x")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> append(store(), id, "0", "late")).isInstanceOf(IOException.class)
                .isNotInstanceOf(NoSuchFileException.class);
    }

    /**
     * A run that never appended (nobody created or closed its log, as the server's log copy leaves a run that wrote
     * nothing) reads, once its task ended, exactly as a closed empty log does: empty from any offset, through any
     * instance; so does the log of a task that never ran.
     */
    @Test
    public void aNeverWrittenRunsLogReadsAsAClosedEmptyLogOnceItsTaskEnds()
            throws Exception
    {
        String closedEmpty = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        String completed = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        String cancelled = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        String neverRun = submit(store(), "{}");
        List<Claim> claims = store().claim(claim(3));
        assertThat(claims).extracting(c -> c.task().taskId()).containsExactly(closedEmpty, completed, cancelled);
        store().closeLog(closedEmpty, "0");
        store().resolve(claims.get(0).lease(), TaskResolution.completed());
        store().resolve(claims.get(1).lease(), TaskResolution.completed());
        TaskStore other = open(defaults);
        other.cancel(cancelled, "stop");
        store().cancel(neverRun, "not needed");
        for (TaskStore reader : List.of(store(), other)) {
            for (String id : List.of(closedEmpty, completed, cancelled, neverRun)) {
                for (long offset : new long[] {0, 1, 100}) {
                    try (InputStream in = reader.openLog(id, offset)) {
                        assertThat(read(in)).as("task %s from byte %s", id, offset).isEmpty();
                    }
                }
            }
        }
    }

    /**
     * A follower of a run that never appended blocks while the run is live, and ends, empty and without any close,
     * when the task ends: resolved through the follower's own instance or another one, or cancelled through another.
     */
    @Test
    public void aFollowerOfANeverWrittenRunEndsWhenItsTaskEndsThroughAnyInstance()
            throws Exception
    {
        String here = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        String there = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        String cancelled = submit(store(), "{}");
        List<Claim> claims = store().claim(claim(3));
        assertThat(claims).extracting(c -> c.task().taskId()).containsExactly(here, there, cancelled);
        TaskStore other = open(defaults);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<String> followedHere = follow(pool, store(), here);
            Future<String> followedThere = follow(pool, other, there);
            Future<String> followedCancelled = follow(pool, store(), cancelled);
            assertFollowing(followedHere, followedThere, followedCancelled);
            store().resolve(claims.get(0).lease(), TaskResolution.completed());
            store().resolve(claims.get(1).lease(), TaskResolution.failed());
            other.cancel(cancelled, "stop");
            assertThat(followedHere.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("resolved on its instance").isEmpty();
            assertThat(followedThere.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("resolved on another instance")
                    .isEmpty();
            assertThat(followedCancelled.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("cancelled on another instance")
                    .isEmpty();
        }
        finally {
            pool.shutdownNow();
        }
    }

    /**
     * A follower of a run that never appended ends, empty and without any close, when the run's lease expires (nobody
     * resolved it: the worker is gone), whether or not the task was claimed again meanwhile; the new attempt's log is
     * a new log.
     */
    @Test
    public void aFollowerOfANeverWrittenRunEndsWhenItsLeaseExpiresOrTheTaskIsClaimedAgain()
            throws Exception
    {
        String retaken = submit(store(), "{}");
        clock.advance(Duration.ofMillis(1));
        String expired = submit(store(), "{}");
        List<Claim> claims = store().claim(claim(2));
        assertThat(claims).extracting(c -> c.task().taskId()).containsExactly(retaken, expired);
        TaskStore other = open(defaults);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> followedRetaken = follow(pool, other, retaken);
            Future<String> followedExpired = follow(pool, other, expired);
            assertFollowing(followedRetaken, followedExpired);
            clock.advance(Duration.ofSeconds(11));
            Claim again = store().claim(claim(1)).get(0);
            assertThat(again.task().taskId()).isEqualTo(retaken);
            assertThat(again.lease().attempt()).isEqualTo(1);
            assertThat(followedRetaken.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("claimed again").isEmpty();
            assertThat(followedExpired.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("lease expired").isEmpty();
            append(store(), retaken, "1", "second run\n");
            store().closeLog(retaken, "1");
            try (InputStream in = other.openLog(retaken, 0)) {
                assertThat(read(in)).isEqualTo("second run\n");
            }
        }
        finally {
            pool.shutdownNow();
        }
    }

    /**
     * A run that never appended and is reclaimed after a restart goes on at log offset 0, and its log, still never
     * written, ends with the run.
     */
    @Test
    public void aReclaimedNeverWrittenRunGoesOnFromAnEmptyLog()
            throws Exception
    {
        TaskStore first = open(defaults);
        String id = submit(first, "{}");
        Lease lease = first.claim(claim(1)).get(0).lease();
        assertThat(first.saveSandbox(lease, new SandboxHandle("kit-engine", "x"))).isTrue();
        first.close();
        TaskStore second = open(defaults);
        clock.advance(Duration.ofSeconds(5));
        List<ReclaimedRun> runs = second.reclaim(WORKER, Duration.ofSeconds(10));
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).logOffset()).isZero();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<String> followed = follow(pool, open(defaults), id);
            assertFollowing(followed);
            second.resolve(runs.get(0).claim().lease(), TaskResolution.completed());
            assertThat(followed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEmpty();
        }
        finally {
            pool.shutdownNow();
        }
    }

    /** Reads the task's log to its end on {@code pool}. */
    private static Future<String> follow(ExecutorService pool, TaskStore reader, String taskId)
            throws IOException
    {
        InputStream in = reader.openLog(taskId, 0);
        return pool.submit(() -> {
            try (in) {
                return read(in);
            }
        });
    }

    /**
     * Asserts that the followers still wait after {@link #FOLLOWING} (longer than the stores' re-check intervals, so
     * a follower that would end on a re-check has had one).
     */
    @SafeVarargs
    private static void assertFollowing(Future<String>... followers)
            throws InterruptedException
    {
        Thread.sleep(FOLLOWING.toMillis());
        for (Future<String> follower : followers) {
            assertThat(follower).as("the run is live: its follower waits").isNotDone();
        }
    }

    @Test
    public void theLatestRunsLogIsRead()
            throws Exception
    {
        String id = submit(store(), "{}");
        store().claim(claim(1));
        append(store(), id, "0", "first run\n");
        clock.advance(Duration.ofMinutes(1));
        store().claim(claim(1));
        append(store(), id, "1", "second run\n");
        store().closeLog(id, "1");
        try (InputStream in = open(defaults).openLog(id, 0)) {
            assertThat(read(in)).isEqualTo("second run\n");
        }
    }

    @Test
    public void artifactsAreStoredThroughOneInstanceAndReadThroughAnother()
            throws Exception
    {
        String id = submit(store(), "{}");
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        Artifact a = store().put(id, "0", "public/out/a.txt",
                new ByteArrayInputStream("Hello".getBytes(StandardCharsets.UTF_8)));
        assertThat(a).isEqualTo(new Artifact("public/out/a.txt", 5, Optional.empty()));
        store().put(id, "0", "public/big.bin", new ByteArrayInputStream(big));
        store().put(id, "0", "public/empty", new ByteArrayInputStream(new byte[0]));
        Artifact.ArtifactError error = new Artifact.ArtifactError("file-missing-on-worker", "no /nope");
        store().putError(id, "0", "public/nope", error);
        TaskStore other = open(defaults);
        assertThat(other.list(id, "0")).containsExactly(
                new Artifact("public/big.bin", big.length, Optional.empty()),
                new Artifact("public/empty", 0, Optional.empty()),
                new Artifact("public/nope", 0, Optional.of(error)),
                a);
        assertThat(other.list(id, "1")).isEmpty();
        try (InputStream in = other.open(id, "0", "public/out/a.txt")) {
            assertThat(read(in)).isEqualTo("Hello");
        }
        try (InputStream in = other.open(id, "0", "public/big.bin")) {
            assertThat(in.readAllBytes()).isEqualTo(big);
        }
        assertThatThrownBy(() -> other.put(id, "0", "public/out/a.txt", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> other.putError(id, "0", "public/out/a.txt", error))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> other.open(id, "0", "public/nope")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> other.open(id, "0", "missing")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> other.put(id, "0", "../evil", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> other.put(id, "0", "/abs", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> other.put("no-such-task", "0", "x", new ByteArrayInputStream(new byte[1])))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    public void racingPutsOfOneNameStoreOneArtifact()
            throws Exception
    {
        String id = submit(store(), "{}");
        List<TaskStore> stores = List.of(store(), open(defaults));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> puts = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] content = ("v" + i).getBytes(StandardCharsets.UTF_8);
                TaskStore target = stores.get(i % 2);
                puts.add(pool.submit(() -> {
                    go.await();
                    try {
                        target.put(id, "0", "same", new ByteArrayInputStream(content));
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
            assertThat(store().list(id, "0")).hasSize(1);
            try (InputStream in = store().open(id, "0", "same")) {
                assertThat(read(in)).matches("v[0-7]");
            }
        }
        finally {
            pool.shutdownNow();
        }
    }
}
