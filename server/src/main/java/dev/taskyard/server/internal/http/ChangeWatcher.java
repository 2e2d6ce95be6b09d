package dev.taskyard.server.internal.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Long polls without threads: a waiter is a future registered here; one timer thread reads each waited-for task
 * once per sweep ({@code sweep}) and completes the waiters whose task changed version, ended its wait, or vanished.
 * Thousands of waiters cost one store read per distinct task per sweep and no thread each.
 */
public final class ChangeWatcher
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(ChangeWatcher.class);

    private record Waiter(long knownVersion, long deadlineNanos, CompletableFuture<Optional<TaskRecord>> future) {}

    private final TaskStore store;
    private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "taskyard-long-poll");
        thread.setDaemon(true);
        return thread;
    });

    public ChangeWatcher(TaskStore store, Duration sweep)
    {
        this.store = requireNonNull(store, "store is null");
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
        return future;
    }

    /** Number of long polls waiting. */
    public int waiting()
    {
        return waiters.values().stream().mapToInt(List::size).sum();
    }

    private void sweep()
    {
        for (String taskId : new ArrayList<>(waiters.keySet())) {
            List<Waiter> list = waiters.get(taskId);
            if (list == null || list.isEmpty()) {
                waiters.computeIfPresent(taskId, (id, l) -> l.isEmpty() ? null : l);
                continue;
            }
            Optional<TaskRecord> task;
            try {
                task = store.get(taskId);
            }
            catch (Exception e) {
                LOG.warn("long poll of task {}: reading the task failed: {}", taskId, e.toString());
                continue;
            }
            long now = System.nanoTime();
            for (Waiter waiter : list) {
                if (task.isEmpty() || task.get().version() != waiter.knownVersion || now - waiter.deadlineNanos >= 0) {
                    list.remove(waiter);
                    waiter.future.complete(task);
                }
            }
            waiters.computeIfPresent(taskId, (id, l) -> l.isEmpty() ? null : l);
        }
    }

    /** Answers every waiter with the task as it is now, and stops. */
    @Override
    public void close()
    {
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
