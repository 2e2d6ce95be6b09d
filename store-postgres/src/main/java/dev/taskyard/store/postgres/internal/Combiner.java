package dev.taskyard.store.postgres.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * Combines concurrent requests of one kind into batches (group commit on the client side): a caller that finds fewer
 * than {@code maxInFlight} batches running runs at once, alone, with its own single-request work, exactly as without
 * a combiner; a caller that finds {@code maxInFlight} batches running queues, and when a batch ends its runner (the
 * leader) hands the lead to the oldest queued caller, which runs every request queued by then (up to
 * {@code maxBatch}) as one batch. There is no artificial delay: batches only form from requests that queue while
 * others are running.
 *
 * <p>Outcomes: each caller gets its own. The batch work returns one {@link Result} per request: {@linkplain
 * Result#done done} with the caller's value, or {@linkplain Result#alone alone}, and then the caller runs its
 * single-request work itself, on its own thread (an error that belongs to one request, or a refusal that the single
 * work explains better, does not fail the others). When the batch work throws, every caller of the batch throws
 * that exception (the batch work decides which failures are the batch's and which should make each request run
 * alone, by returning {@code alone} for all), except an {@link InterruptedException}: that is the leader's alone, and
 * the other callers run their requests alone.
 *
 * <p>Threading: thread-safe; callers block until their request ran (without giving up when interrupted: a request in
 * a running batch cannot be withdrawn; the interrupt status is kept for the caller). The batch and single work run on
 * the callers' threads, never under the combiner's lock.
 *
 * @param <R> a request
 * @param <O> the outcome of one request
 */
public final class Combiner<R, O>
{
    /** Runs one request by itself. */
    @FunctionalInterface
    public interface Single<R, O>
    {
        O run(R request)
                throws Exception;
    }

    /** Runs at least two requests as one unit; returns one result per request, in the order given. */
    @FunctionalInterface
    public interface Batch<R, O>
    {
        List<Result<O>> run(List<R> requests)
                throws Exception;
    }

    /** What a batch did for one request: done with a value, or left for the caller to run alone. */
    public static final class Result<O>
    {
        private static final Result<Object> ALONE = new Result<>(false, null);

        private final boolean done;
        private final O value;

        private Result(boolean done, O value)
        {
            this.done = done;
            this.value = value;
        }

        /** The request is done; {@code value} (may be null) is its outcome. */
        public static <O> Result<O> done(O value)
        {
            return new Result<>(true, value);
        }

        /** The caller runs the request by itself. */
        @SuppressWarnings("unchecked")
        public static <O> Result<O> alone()
        {
            return (Result<O>) ALONE;
        }

        public boolean isDone()
        {
            return done;
        }
    }

    /**
     * A queued request and, once its batch ran, its result: written by the leader before {@code finished}, read by
     * the caller after it.
     */
    private static final class Entry<R, O>
    {
        final R request;
        final Thread caller = Thread.currentThread();
        volatile boolean leader;
        volatile boolean finished;
        Result<O> result;
        Exception failure;

        Entry(R request)
        {
            this.request = request;
        }
    }

    /** The most requests of one batch of the store's combiners. */
    public static final int MAX_BATCH = 64;
    /** How many batches (or lone requests) of one kind the store's combiners run at once before requests queue. */
    public static final int MAX_IN_FLIGHT = 2;

    private final int maxBatch;
    private final int maxInFlight;
    private final Batch<R, O> batch;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Entry<R, O>> queue = new ArrayDeque<>();
    private int inFlight;
    private long batches;
    private long combined;

    /**
     * @param maxBatch the most requests of one batch (at least 2)
     * @param maxInFlight how many batches (or lone requests) run at once at most (at least 1)
     * @param batch runs the requests of a batch
     */
    public Combiner(int maxBatch, int maxInFlight, Batch<R, O> batch)
    {
        if (maxBatch < 2 || maxInFlight < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 2, maxInFlight at least 1");
        }
        this.maxBatch = maxBatch;
        this.maxInFlight = maxInFlight;
        this.batch = requireNonNull(batch, "batch is null");
    }

    /**
     * Runs {@code request}, alone with {@code single} or in a batch with other callers' requests, and returns its
     * outcome.
     *
     * @throws Exception what {@code single} threw, or what the batch work threw for the whole batch
     */
    public O run(R request, Single<R, O> single)
            throws Exception
    {
        requireNonNull(single, "single is null");
        Entry<R, O> entry = new Entry<>(request);
        boolean alone;
        lock.lock();
        try {
            alone = inFlight < maxInFlight;
            if (alone) {
                inFlight++;
            }
            else {
                queue.addLast(entry);
            }
        }
        finally {
            lock.unlock();
        }
        if (alone) {
            // nothing is queued (requests queue only while maxInFlight units run): run alone, at once
            try {
                return single.run(request);
            }
            finally {
                handOver();
            }
        }
        boolean interrupted = false;
        while (!entry.leader && !entry.finished) {
            LockSupport.park(this);
            interrupted |= Thread.interrupted();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!entry.finished) {
            lead(entry, single);
        }
        if (entry.failure != null) {
            throw entry.failure;
        }
        if (entry.result.isDone()) {
            return entry.result.value;
        }
        return single.run(request);
    }

    /**
     * Runs {@code leader}'s request (taken off the queue by {@link #handOver}) with the requests queued behind it as
     * one batch, or alone when none are, then hands over and publishes the results.
     */
    private void lead(Entry<R, O> leader, Single<R, O> single)
    {
        List<Entry<R, O>> entries = new ArrayList<>();
        entries.add(leader);
        lock.lock();
        try {
            while (!queue.isEmpty() && entries.size() < maxBatch) {
                entries.add(queue.pollFirst());
            }
            batches++;
            combined += entries.size();
        }
        finally {
            lock.unlock();
        }
        List<Result<O>> results = null;
        Exception failure = null;
        try {
            if (entries.size() == 1) {
                results = List.of(Result.done(single.run(leader.request)));
            }
            else {
                List<R> requests = new ArrayList<>(entries.size());
                for (Entry<R, O> entry : entries) {
                    requests.add(entry.request);
                }
                results = batch.run(requests);
                if (results == null || results.size() != requests.size()) {
                    failure = new IllegalStateException("the batch returned " + (results == null ? "no"
                            : results.size()) + " results for " + requests.size() + " requests");
                }
            }
        }
        catch (Exception e) {
            failure = e;
        }
        catch (Error e) {
            failure = new IllegalStateException("the batch failed: " + e, e);
            throw e;
        }
        finally {
            handOver();
            for (int i = 0; failure == null && i < entries.size(); i++) {
                if (results.get(i) == null) {
                    failure = new IllegalStateException("the batch returned a null result");
                }
            }
            for (int i = 0; i < entries.size(); i++) {
                Entry<R, O> entry = entries.get(i);
                if (failure instanceof InterruptedException && entry != leader) {
                    // the leader was interrupted (e.g. while backing off): the others were not; they run alone
                    entry.result = Result.alone();
                }
                else {
                    entry.failure = failure;
                    entry.result = failure == null ? results.get(i) : null;
                }
                entry.finished = true;
                if (entry != leader) {
                    LockSupport.unpark(entry.caller);
                }
            }
        }
    }

    /**
     * Ends one running unit: the oldest queued request, taken off the queue, leads the next batch; or, with none
     * queued, one unit fewer runs.
     */
    private void handOver()
    {
        Entry<R, O> next;
        lock.lock();
        try {
            next = queue.pollFirst();
            if (next == null) {
                inFlight--;
                return;
            }
            next.leader = true;
        }
        finally {
            lock.unlock();
        }
        LockSupport.unpark(next.caller);
    }

    /** Requests waiting for a batch now. */
    public int queued()
    {
        lock.lock();
        try {
            return queue.size();
        }
        finally {
            lock.unlock();
        }
    }

    /** Batches run so far (a queued request that found nobody to combine with counts as a batch of one). */
    public long batches()
    {
        lock.lock();
        try {
            return batches;
        }
        finally {
            lock.unlock();
        }
    }

    /** Requests run in those batches. */
    public long combined()
    {
        lock.lock();
        try {
            return combined;
        }
        finally {
            lock.unlock();
        }
    }
}
