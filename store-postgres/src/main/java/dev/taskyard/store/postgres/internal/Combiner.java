package dev.taskyard.store.postgres.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * Combines the writes that callers make at the same time into batches: at most {@code maxInFlight} batches run at
 * once; a caller that finds them all running queues its item and waits, and the next caller to find a free slot runs
 * every queued item (oldest first, up to {@code maxBatch}) as one batch on its own thread. Every caller returns only
 * after the batch holding its item has run (so when a batch is one auto-commit statement, after its commit), with
 * the result for its own item.
 *
 * <p>Items with the same key never run at the same time (neither in one batch nor in two concurrent ones): a later one
 * waits for the next batch. A batch of several items that fails is not retried as a batch: every caller of it then
 * runs its own item alone, on its own thread ({@code work} with a list of one), so that one bad item or a deadlock
 * fails only its own caller; a batch of one passes its failure to its caller.
 *
 * <p>Threading: thread-safe; {@code work} runs on the callers' threads, never under the combiner's lock. Waiting for a
 * batch run by another caller is not interruptible (like the JDBC call it waits for); the interrupt flag is kept.
 *
 * @param <T> an item
 * @param <R> the result for one item
 */
public final class Combiner<T, R>
{
    /** Runs a batch. */
    @FunctionalInterface
    public interface Work<T, R>
    {
        /**
         * Runs the items as one unit.
         *
         * @return one result per item, in the items' order
         */
        List<R> run(List<T> items)
                throws Exception;
    }

    private final class Entry
    {
        private final Object key;
        private final T item;
        private boolean done;
        private boolean recorded;
        private boolean alone;
        private R result;
        private Exception failure;

        private Entry(Object key, T item)
        {
            this.key = key;
            this.item = item;
        }
    }

    private final Work<T, R> work;
    private final int maxInFlight;
    private final int maxBatch;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Entry> queue = new ArrayDeque<>();
    private final Set<Object> running = new HashSet<>();
    private int inFlight;

    public Combiner(Work<T, R> work, int maxInFlight, int maxBatch)
    {
        this.work = requireNonNull(work, "work is null");
        if (maxInFlight < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("maxInFlight and maxBatch must be at least 1");
        }
        this.maxInFlight = maxInFlight;
        this.maxBatch = maxBatch;
    }

    /**
     * Runs {@code item} in a batch (possibly with other callers' items) and returns its result once that batch ran.
     *
     * @param key items with equal keys never run at the same time
     * @throws Exception what {@code work} threw for this item
     */
    public R submit(Object key, T item)
            throws Exception
    {
        requireNonNull(key, "key is null");
        requireNonNull(item, "item is null");
        Entry mine = new Entry(key, item);
        boolean interrupted = false;
        lock.lock();
        try {
            queue.add(mine);
            while (!mine.done) {
                List<Entry> batch = inFlight < maxInFlight ? take() : List.of();
                if (batch.isEmpty()) {
                    // all slots busy, or every queued item waits for a running one with its key
                    try {
                        changed.await();
                    }
                    catch (InterruptedException e) {
                        interrupted = true;
                    }
                    continue;
                }
                inFlight++;
                lock.unlock();
                try {
                    interrupted |= runBatch(batch, mine);
                }
                finally {
                    lock.lock();
                    inFlight--;
                    for (Entry entry : batch) {
                        running.remove(entry.key);
                        if (!entry.recorded) {
                            entry.alone = true; // the batch ended with an Error: its callers try alone
                        }
                        entry.done = true;
                    }
                    changed.signalAll();
                }
            }
        }
        finally {
            lock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (mine.alone) {
            return work.run(List.of(mine.item)).get(0);
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.result;
    }

    /** Takes the next batch from the queue (under the lock): oldest first, one item per key, none of a running key. */
    private List<Entry> take()
    {
        List<Entry> batch = new ArrayList<>();
        Iterator<Entry> entries = queue.iterator();
        while (entries.hasNext() && batch.size() < maxBatch) {
            Entry entry = entries.next();
            if (running.add(entry.key)) {
                entries.remove();
                batch.add(entry);
            }
        }
        return batch;
    }

    /**
     * Runs a batch outside the lock and records each entry's result or failure (not yet marked done). When the batch
     * fails: a batch of one passes the failure on; otherwise every caller runs its item alone, except the caller
     * running the batch if it was interrupted (it gets the interruption).
     *
     * @return whether the batch was interrupted (the runner's interrupt flag is to be restored)
     */
    private boolean runBatch(List<Entry> batch, Entry runner)
    {
        boolean interrupted = false;
        try {
            List<R> results = work.run(batch.stream().map(e -> e.item).toList());
            if (results.size() != batch.size()) {
                throw new IllegalStateException("a batch of " + batch.size() + " returned " + results.size()
                        + " results");
            }
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result = results.get(i);
            }
        }
        catch (Exception e) {
            interrupted = e instanceof InterruptedException;
            for (Entry entry : batch) {
                if (batch.size() == 1 || entry == runner && e instanceof InterruptedException) {
                    entry.failure = e;
                }
                else {
                    entry.alone = true;
                }
            }
        }
        for (Entry entry : batch) {
            entry.recorded = true;
        }
        return interrupted;
    }
}
