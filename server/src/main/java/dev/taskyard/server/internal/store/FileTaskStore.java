package dev.taskyard.server.internal.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.store.IdempotencyConflictException;
import dev.taskyard.store.QueueFullException;
import dev.taskyard.store.Submission;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.TaskError;
import dev.taskyard.store.TaskPage;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.TaskStore;
import dev.taskyard.worker.Claim;
import dev.taskyard.worker.ClaimRequest;
import dev.taskyard.worker.Lease;
import dev.taskyard.worker.LeaseLostException;
import dev.taskyard.worker.QueueException;
import dev.taskyard.worker.TaskResolution;
import dev.taskyard.worker.TaskSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * An interim durable {@link TaskStore}: one JSON file per task, written atomically (temp file, fsync, rename),
 * logs as append-only files, artifacts in a {@link FolderArtifactStore}. Used by {@code taskyard serve} until the
 * SQLite store of the store module is available. All state is also kept in memory under one monitor; every change
 * is written to disk before the call returns, so an accepted task survives SIGKILL.
 *
 * <p>Crash rules: on open, a task found RUNNING had its lease end with the process; it is PENDING again, and the
 * next claim gives it the next attempt number; after {@code maxAttempts} attempts it is FAILED with
 * {@code worker-crash}. Resolution is idempotent per lease and refused for stale leases, so no task completes twice.
 */
public final class FileTaskStore
        implements TaskStore
{
    private static final Logger LOG = LoggerFactory.getLogger(FileTaskStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path tasksFolder;
    private final Path logsFolder;
    private final FolderArtifactStore artifacts;
    private final int maxPending;
    private final int maxAttempts;
    private final Map<String, Entry> tasks = new LinkedHashMap<>();
    private final Map<String, String> idempotencyKeys = new HashMap<>();
    private long sequence;
    private boolean closed;

    /** A task's mutable state; guarded by the store's monitor. */
    private static final class Entry
    {
        String taskId;
        long seq;
        TaskStatus status;
        JsonNode payload;
        int progress;
        Instant createdAt;
        Instant startedAt;
        Instant completedAt;
        Instant deadline;
        int attempt = -1;
        JsonNode result;
        TaskError error;
        long version;
        String leaseToken;
        Instant leaseExpiresAt;
        Duration leaseDuration;
        String idempotencyKey;
        String payloadHash;
        String resolvedToken;
    }

    private FileTaskStore(Path folder, int maxPending, int maxAttempts)
    {
        this.tasksFolder = folder.resolve("tasks");
        this.logsFolder = folder.resolve("logs");
        this.artifacts = new FolderArtifactStore(folder.resolve("artifacts"));
        this.maxPending = maxPending;
        this.maxAttempts = maxAttempts;
    }

    /**
     * Opens (or creates) the store in {@code folder}, re-queuing tasks that were running when the last process ended.
     *
     * @param maxPending the most PENDING tasks held at once; more submits fail with {@link QueueFullException}
     * @param maxAttempts attempts per task before a crashed one is FAILED with {@code worker-crash}
     */
    public static FileTaskStore open(Path folder, int maxPending, int maxAttempts)
            throws IOException
    {
        requireNonNull(folder, "folder is null");
        FileTaskStore store = new FileTaskStore(folder, maxPending, maxAttempts);
        Files.createDirectories(store.tasksFolder);
        Files.createDirectories(store.logsFolder);
        store.load();
        return store;
    }

    private void load()
            throws IOException
    {
        List<Entry> loaded = new ArrayList<>();
        try (Stream<Path> files = Files.list(tasksFolder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
                try {
                    loaded.add(read(JSON.readTree(file.toFile())));
                }
                catch (IOException | RuntimeException e) {
                    LOG.error("skipping unreadable task file {}: {}", file, e.getMessage());
                }
            }
        }
        loaded.sort(Comparator.comparingLong(e -> e.seq));
        for (Entry entry : loaded) {
            tasks.put(entry.taskId, entry);
            sequence = Math.max(sequence, entry.seq);
            if (entry.idempotencyKey != null) {
                idempotencyKeys.put(entry.idempotencyKey, entry.taskId);
            }
            if (entry.status == TaskStatus.RUNNING) {
                entry.leaseToken = null;
                entry.leaseExpiresAt = null;
                if (entry.attempt + 1 >= maxAttempts) {
                    finish(entry, TaskStatus.FAILED, new TaskError("worker-crash", "the worker crashed while running the task",
                            "the task was running when the server stopped unexpectedly, " + (entry.attempt + 1) + " times"));
                }
                else {
                    entry.status = TaskStatus.PENDING;
                    entry.progress = 0;
                    entry.version++;
                }
                try {
                    persist(entry);
                }
                catch (QueueException e) {
                    throw new IOException(e.getMessage(), e);
                }
                LOG.warn("task {} was running when the server stopped; now {}", entry.taskId, entry.status);
            }
        }
    }

    @Override
    public synchronized Submission submit(SubmitRequest request)
            throws QueueException
    {
        checkOpen();
        String hash = hash(request.payload());
        if (request.idempotencyKey().isPresent()) {
            String existing = idempotencyKeys.get(request.idempotencyKey().get());
            if (existing != null && tasks.containsKey(existing)) {
                Entry entry = tasks.get(existing);
                if (!entry.payloadHash.equals(hash)) {
                    throw new IdempotencyConflictException("the idempotency key was used with another payload for task " + existing);
                }
                return new Submission(snapshot(entry), false);
            }
        }
        long pending = tasks.values().stream().filter(e -> e.status == TaskStatus.PENDING).count();
        if (pending >= maxPending) {
            throw new QueueFullException("the queue holds its maximum of " + maxPending + " pending tasks");
        }
        Entry entry = new Entry();
        entry.taskId = "task-" + UUID.randomUUID();
        entry.seq = ++sequence;
        entry.status = TaskStatus.PENDING;
        entry.payload = request.payload().deepCopy();
        entry.createdAt = Instant.now();
        entry.deadline = request.deadline().orElse(null);
        entry.idempotencyKey = request.idempotencyKey().orElse(null);
        entry.payloadHash = hash;
        entry.version = 1;
        persist(entry);
        tasks.put(entry.taskId, entry);
        if (entry.idempotencyKey != null) {
            idempotencyKeys.put(entry.idempotencyKey, entry.taskId);
        }
        notifyAll();
        return new Submission(snapshot(entry), true);
    }

    @Override
    public synchronized Optional<TaskRecord> get(String taskId)
    {
        return Optional.ofNullable(tasks.get(taskId)).map(FileTaskStore::snapshot);
    }

    @Override
    public synchronized Optional<TaskRecord> awaitChange(String taskId, long knownVersion, Duration timeout)
            throws InterruptedException
    {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            Entry entry = tasks.get(taskId);
            if (entry == null || entry.version != knownVersion || closed) {
                return Optional.ofNullable(entry).map(FileTaskStore::snapshot);
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return Optional.of(snapshot(entry));
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    @Override
    public synchronized TaskPage list(Optional<TaskStatus> status, int pageSize, Optional<String> pageToken)
    {
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size must be at least 1");
        }
        long before = Long.MAX_VALUE;
        if (pageToken.isPresent()) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(pageToken.get()), StandardCharsets.UTF_8);
                if (!decoded.startsWith("seq:")) {
                    throw new IllegalArgumentException("not a page token of this store");
                }
                before = Long.parseLong(decoded.substring(4));
            }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid page token", e);
            }
        }
        List<Entry> newestFirst = new ArrayList<>(tasks.values());
        newestFirst.sort(Comparator.comparingLong((Entry e) -> e.seq).reversed());
        List<TaskRecord> page = new ArrayList<>();
        Optional<String> next = Optional.empty();
        for (Entry entry : newestFirst) {
            if (entry.seq >= before || (status.isPresent() && entry.status != status.get())) {
                continue;
            }
            if (page.size() == pageSize) {
                long last = newestFirst.stream().filter(e -> e.taskId.equals(page.get(page.size() - 1).taskId())).findFirst().orElseThrow().seq;
                next = Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(("seq:" + last).getBytes(StandardCharsets.UTF_8)));
                break;
            }
            page.add(snapshot(entry));
        }
        return new TaskPage(page, next);
    }

    @Override
    public synchronized Optional<TaskRecord> cancel(String taskId, String reason)
            throws QueueException
    {
        Entry entry = tasks.get(taskId);
        if (entry == null) {
            return Optional.empty();
        }
        if (!entry.status.isTerminal()) {
            entry.leaseToken = null;
            finish(entry, TaskStatus.CANCELED, new TaskError("canceled", "the task was canceled", reason));
            persistUnchecked(entry);
            notifyAll();
        }
        return Optional.of(snapshot(entry));
    }

    @Override
    public synchronized boolean delete(String taskId)
            throws QueueException
    {
        Entry entry = tasks.get(taskId);
        if (entry == null) {
            return false;
        }
        if (!entry.status.isTerminal()) {
            throw new IllegalStateException("task " + taskId + " has not ended");
        }
        try {
            Files.deleteIfExists(tasksFolder.resolve(taskId + ".json"));
            deleteTree(logsFolder.resolve(taskId));
        }
        catch (IOException e) {
            throw new QueueException("cannot delete task " + taskId + ": " + e.getMessage(), e);
        }
        tasks.remove(taskId);
        if (entry.idempotencyKey != null) {
            idempotencyKeys.remove(entry.idempotencyKey);
        }
        notifyAll();
        return true;
    }

    @Override
    public synchronized Map<TaskStatus, Long> countByStatus()
    {
        Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
        for (TaskStatus status : TaskStatus.values()) {
            counts.put(status, 0L);
        }
        tasks.values().forEach(e -> counts.merge(e.status, 1L, Long::sum));
        return counts;
    }

    @Override
    public synchronized List<Claim> claim(ClaimRequest request)
            throws QueueException, InterruptedException
    {
        long end = System.nanoTime() + request.maxWait().toNanos();
        while (true) {
            checkOpen();
            List<Claim> claims = new ArrayList<>();
            Instant now = Instant.now();
            for (Entry entry : tasks.values()) {
                if (claims.size() == request.max()) {
                    break;
                }
                boolean expired = entry.status == TaskStatus.RUNNING && entry.leaseExpiresAt != null && entry.leaseExpiresAt.isBefore(now);
                if (entry.status != TaskStatus.PENDING && !expired) {
                    continue;
                }
                if (expired && entry.attempt + 1 >= maxAttempts) {
                    finish(entry, TaskStatus.FAILED, new TaskError("worker-crash", "the worker stopped renewing the task's lease", "attempts exhausted"));
                    persist(entry);
                    continue;
                }
                entry.attempt++;
                entry.status = TaskStatus.RUNNING;
                entry.startedAt = now;
                entry.progress = 0;
                entry.leaseToken = UUID.randomUUID().toString();
                entry.leaseDuration = request.leaseDuration();
                entry.leaseExpiresAt = now.plus(request.leaseDuration());
                entry.version++;
                persist(entry);
                Lease lease = new Lease(entry.taskId, entry.attempt, entry.leaseToken, entry.leaseExpiresAt);
                claims.add(new Claim(new TaskSpec(entry.taskId, entry.payload.deepCopy(), Optional.ofNullable(entry.deadline)), lease));
            }
            if (!claims.isEmpty()) {
                notifyAll();
                return claims;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                return List.of();
            }
            wait(Math.max(1, Math.min(left / 1_000_000, 1000)));
        }
    }

    @Override
    public synchronized Lease renew(Lease lease)
            throws QueueException
    {
        Entry entry = current(lease);
        entry.leaseExpiresAt = Instant.now().plus(entry.leaseDuration);
        return new Lease(lease.taskId(), lease.attempt(), lease.token(), entry.leaseExpiresAt);
    }

    @Override
    public synchronized void reportProgress(Lease lease, int percent)
            throws QueueException
    {
        Entry entry = current(lease);
        int clamped = Math.max(0, Math.min(100, percent));
        if (clamped != entry.progress) {
            entry.progress = clamped;
            entry.version++;
            persist(entry);
            notifyAll();
        }
    }

    @Override
    public synchronized void resolve(Lease lease, TaskResolution resolution)
            throws QueueException
    {
        Entry entry = tasks.get(lease.taskId());
        if (entry != null && lease.token().equals(entry.resolvedToken)) {
            return;
        }
        entry = current(lease);
        switch (resolution.status()) {
            case COMPLETED -> {
                entry.progress = 100;
                finish(entry, TaskStatus.COMPLETED, null);
            }
            case FAILED -> finish(entry, TaskStatus.FAILED, new TaskError("task-failed", "the task failed", "the task ran and failed (e.g. a non-zero exit code)"));
            case EXCEPTION -> {
                ExceptionReason reason = resolution.reason().orElseThrow();
                TaskStatus status = reason == ExceptionReason.CANCELED ? TaskStatus.CANCELED : TaskStatus.FAILED;
                finish(entry, status, new TaskError(reason.id(), "the task ended as an exception: " + reason.id(), "see the task log for details"));
            }
        }
        entry.result = resolution.result().isPresent() ? resolution.result().get().deepCopy() : null;
        entry.resolvedToken = lease.token();
        entry.leaseToken = null;
        persist(entry);
        notifyAll();
    }

    private Entry current(Lease lease)
            throws LeaseLostException
    {
        Entry entry = tasks.get(lease.taskId());
        if (entry == null || entry.status != TaskStatus.RUNNING || !lease.token().equals(entry.leaseToken)) {
            LeaseLostException.Reason reason = entry != null && entry.status == TaskStatus.CANCELED ? LeaseLostException.Reason.CANCELED
                    : entry != null && entry.status.isTerminal() ? LeaseLostException.Reason.RESOLVED : LeaseLostException.Reason.EXPIRED;
            throw new LeaseLostException(reason, "task " + lease.taskId() + ": the lease is no longer current (" + reason + ")");
        }
        return entry;
    }

    private static void finish(Entry entry, TaskStatus status, TaskError error)
    {
        entry.status = status;
        entry.error = error;
        entry.completedAt = Instant.now();
        entry.version++;
    }

    // ---- logs

    private Path logFile(String taskId, String runId)
    {
        if (!ArtifactStore.ID.matcher(taskId).matches() || !ArtifactStore.ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("invalid task or run id");
        }
        return logsFolder.resolve(taskId).resolve(runId + ".log");
    }

    @Override
    public void appendLog(String taskId, String runId, byte[] bytes, int offset, int length)
            throws IOException
    {
        Path file = logFile(taskId, runId);
        synchronized (this) {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                out.write(bytes, offset, length);
            }
            notifyAll();
        }
    }

    @Override
    public void closeLog(String taskId, String runId)
            throws IOException
    {
        Path file = logFile(taskId, runId);
        synchronized (this) {
            Files.createDirectories(file.getParent());
            if (!Files.exists(file)) {
                Files.createFile(file);
            }
            Path marker = file.resolveSibling(runId + ".closed");
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
            notifyAll();
        }
    }

    @Override
    public InputStream openLog(String taskId, long offset)
            throws IOException
    {
        String runId;
        synchronized (this) {
            Entry entry = tasks.get(taskId);
            if (entry == null) {
                throw new NoSuchFileException("no task " + taskId);
            }
            runId = Integer.toString(Math.max(0, entry.attempt));
        }
        return new FollowingLogStream(taskId, runId, offset);
    }

    /** Reads a run's log file, waiting for more bytes until the log is closed or the task has ended. */
    private final class FollowingLogStream
            extends InputStream
    {
        private final String taskId;
        private final Path file;
        private final Path marker;
        private long position;
        private boolean closedStream;

        FollowingLogStream(String taskId, String runId, long offset)
        {
            this.taskId = taskId;
            this.file = logFile(taskId, runId);
            this.marker = file.resolveSibling(runId + ".closed");
            this.position = offset;
        }

        @Override
        public int read()
                throws IOException
        {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len)
                throws IOException
        {
            while (!closedStream) {
                boolean finished = ended();
                if (Files.exists(file)) {
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                        if (channel.size() > position) {
                            int n = channel.read(java.nio.ByteBuffer.wrap(b, off, len), position);
                            if (n > 0) {
                                position += n;
                                return n;
                            }
                        }
                    }
                }
                if (finished) {
                    return -1;
                }
                synchronized (FileTaskStore.this) {
                    try {
                        FileTaskStore.this.wait(200);
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted while following the log");
                    }
                }
            }
            return -1;
        }

        private boolean ended()
        {
            if (Files.exists(marker)) {
                return true;
            }
            synchronized (FileTaskStore.this) {
                Entry entry = tasks.get(taskId);
                return entry == null || closed || (entry.status.isTerminal() && entry.completedAt != null
                        && entry.completedAt.isBefore(Instant.now().minusSeconds(2)));
            }
        }

        @Override
        public void close()
        {
            closedStream = true;
        }
    }

    // ---- artifacts

    @Override
    public Artifact put(String taskId, String runId, String name, InputStream content)
            throws IOException
    {
        return artifacts.put(taskId, runId, name, content);
    }

    @Override
    public Artifact putError(String taskId, String runId, String name, Artifact.ArtifactError error)
            throws IOException
    {
        return artifacts.putError(taskId, runId, name, error);
    }

    @Override
    public List<Artifact> list(String taskId, String runId)
            throws IOException
    {
        return artifacts.list(taskId, runId);
    }

    @Override
    public InputStream open(String taskId, String runId, String name)
            throws IOException
    {
        return artifacts.open(taskId, runId, name);
    }

    @Override
    public synchronized void close()
    {
        closed = true;
        notifyAll();
    }

    private void checkOpen()
            throws QueueException
    {
        if (closed) {
            throw new QueueException("the store is closed");
        }
    }

    // ---- persistence

    private void persistUnchecked(Entry entry)
            throws QueueException
    {
        persist(entry);
    }

    private void persist(Entry entry)
            throws QueueException
    {
        Path target = tasksFolder.resolve(entry.taskId + ".json");
        Path temp = tasksFolder.resolve(entry.taskId + ".json.tmp");
        try {
            byte[] bytes = JSON.writeValueAsBytes(write(entry));
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(java.nio.ByteBuffer.wrap(bytes));
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        catch (IOException e) {
            throw new QueueException("cannot store task " + entry.taskId + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode write(Entry e)
    {
        ObjectNode node = JSON.createObjectNode();
        node.put("taskId", e.taskId);
        node.put("seq", e.seq);
        node.put("status", e.status.name());
        node.set("payload", e.payload);
        node.put("progress", e.progress);
        node.put("createdAt", e.createdAt.toString());
        putInstant(node, "startedAt", e.startedAt);
        putInstant(node, "completedAt", e.completedAt);
        putInstant(node, "deadline", e.deadline);
        node.put("attempt", e.attempt);
        if (e.result != null) {
            node.set("result", e.result);
        }
        if (e.error != null) {
            node.putObject("error").put("reason", e.error.reason()).put("title", e.error.title()).put("detail", e.error.detail());
        }
        node.put("version", e.version);
        node.put("leaseToken", e.leaseToken);
        node.put("idempotencyKey", e.idempotencyKey);
        node.put("payloadHash", e.payloadHash);
        node.put("resolvedToken", e.resolvedToken);
        return node;
    }

    private static Entry read(JsonNode node)
    {
        Entry e = new Entry();
        e.taskId = node.path("taskId").asText();
        e.seq = node.path("seq").asLong();
        e.status = TaskStatus.valueOf(node.path("status").asText());
        e.payload = node.path("payload");
        e.progress = node.path("progress").asInt();
        e.createdAt = Instant.parse(node.path("createdAt").asText());
        e.startedAt = instant(node, "startedAt");
        e.completedAt = instant(node, "completedAt");
        e.deadline = instant(node, "deadline");
        e.attempt = node.path("attempt").asInt(-1);
        e.result = node.hasNonNull("result") ? node.get("result") : null;
        JsonNode error = node.path("error");
        e.error = error.isObject() ? new TaskError(error.path("reason").asText(), error.path("title").asText(), error.path("detail").asText()) : null;
        e.version = node.path("version").asLong();
        e.leaseToken = node.hasNonNull("leaseToken") ? node.get("leaseToken").asText() : null;
        e.idempotencyKey = node.hasNonNull("idempotencyKey") ? node.get("idempotencyKey").asText() : null;
        e.payloadHash = node.path("payloadHash").asText();
        e.resolvedToken = node.hasNonNull("resolvedToken") ? node.get("resolvedToken").asText() : null;
        return e;
    }

    private static void putInstant(ObjectNode node, String key, Instant value)
    {
        if (value != null) {
            node.put(key, value.toString());
        }
    }

    private static Instant instant(JsonNode node, String key)
    {
        return node.hasNonNull(key) ? Instant.parse(node.get(key).asText()) : null;
    }

    private static TaskRecord snapshot(Entry e)
    {
        return new TaskRecord(e.taskId, e.status, e.payload.deepCopy(), e.progress, e.createdAt, Optional.ofNullable(e.startedAt),
                Optional.ofNullable(e.completedAt), Math.max(0, e.attempt), Optional.ofNullable(e.result).map(JsonNode::deepCopy),
                Optional.ofNullable(e.error), e.version);
    }

    private static String hash(JsonNode payload)
    {
        try {
            byte[] canonical = JSON.writeValueAsBytes(JSON.treeToValue(payload, Object.class));
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical));
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path folder)
            throws IOException
    {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
