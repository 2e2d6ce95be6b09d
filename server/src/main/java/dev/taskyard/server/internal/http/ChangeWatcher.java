package dev.taskyard.server.internal.http;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.taskyard.store.TaskChangeListener;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Long polls without threads: a waiter is a future registered here, completed by the watcher's one thread. When the
 * store reports changes ({@link TaskStore#addChangeListener}), a change of a waited-for task wakes its waiters at
 * once (one store read per change, coalesced), and the periodic sweep only ends waits whose time is up. Otherwise
 * the sweep reads each waited-for task once per {@code sweep} and completes the waiters whose task changed version,
 * ended its wait, or vanished. Thousands of waiters cost no thread each. Thread-safe.
 */
public final class ChangeWatcher
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);

    private record Waiter(long knownVersion, long deadlineNanos, CompletableFuture<Optional<TaskRecord>> future) {}

    private final TaskStore store;
    private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final TaskChangeListener listener = this::changed;
    private final boolean listening;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "taskyard-long-poll");
        thread.setDaemon(true);
        return thread;
    });

    public ChangeWatcher(TaskStore store, Duration sweep)
    {
        this.store = requireNonNull(store, "store is null");
        listening = store.addChangeListener(listener);
        timer.scheduleWithFixedDelay(this::sweep, sweep.toMillis(), sweep.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Completes with the task's record once its version differs from {@code knownVersion}, or with the current
     * record when {@code wait} has passed; with empty when the task is gone.
     */
    public CompletableFuture<Optional<TaskRecord>> await(String taskId, long knownVersion, Duration wait)
    {
        CompletableFuture<Optional<TaskRecord>> future = new CompletableFuture<>();
        Waiter waiter = new Waiter(knownVersion, System.nanoTime() + wait.toNanos(), future);
        waiters.compute(taskId, (id, list) -> {
            List<Waiter> target = list == null ? new CopyOnWriteArrayList<>() : list;
            target.add(waiter);
            return target;
        });
        if (listening) {
            // a change between the caller's read and this registration was not seen by changed(): look once more
            changed(taskId);
        }
        return future;
    }

    /** Number of long polls waiting. */
    public int waiting()
    {
        return waiters.values().stream().mapToInt(List::size).sum();
    }

    /** From the store, on the thread that changed the task: schedules one read of it if anybody waits for it. */
    private void changed(String taskId)
    {
        if (waiters.containsKey(taskId) && dirty.add(taskId)) {
            try {
                timer.execute(() -> {
                    dirty.remove(taskId);
                    check(taskId, System.nanoTime());
                });
            }
            catch (RejectedExecutionException e) {
                dirty.remove(taskId); // closed: close() answers every waiter
            }
        }
    }

    private void sweep()
    {
        long now = System.nanoTime();
        for (Map.Entry<String, List<Waiter>> entry : waiters.entrySet()) {
            String taskId = entry.getKey();
            List<Waiter> list = entry.getValue();
            if (list.isEmpty()) {
                waiters.computeIfPresent(taskId, (id, l) -> l.isEmpty() ? null : l);
                continue;
            }
            if (!listening || list.stream().anyMatch(w -> now - w.deadlineNanos >= 0)) {
                check(taskId, now);
            }
        }
    }

    /** Reads the task once and completes the waiters it answers. Runs on the timer thread only. */
    private void check(String taskId, long now)
    {
        List<Waiter> list = waiters.get(taskId);
        if (list == null) {
            return;
        }
        Optional<TaskRecord> task;
        try {
            task = store.get(taskId);
        }
        catch (Exception e) {
            LOG.warn("long poll of task {}: reading the task failed: {}", taskId, e.toString());
            return;
        }
        for (Waiter waiter : list) {
            if (task.isEmpty() || task.get().version() != waiter.knownVersion || now - waiter.deadlineNanos >= 0) {
                list.remove(waiter);
                waiter.future.complete(task);
            }
        }
        waiters.computeIfPresent(taskId, (id, l) -> l.isEmpty() ? null : l);
    }

    /** Answers every waiter with the task as it is now, and stops. */
    @Override
    public void close()
    {
        store.removeChangeListener(listener);
        timer.shutdownNow();
        waiters.forEach((taskId, list) -> {
            Optional<TaskRecord> task;
            try {
                task = store.get(taskId);
            }
            catch (Exception e) {
                task = Optional.empty();
            }
            for (Waiter waiter : list) {
                waiter.future.complete(task);
            }
        });
        waiters.clear();
    }
}
