package dev.taskyard.engine.mock;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.taskyard.engine.Termination;

/**
 * The mock's stand-in for tasks that outlive their worker: every mock task started in this JVM is registered here
 * under an id unique beyond this JVM until its sandbox is resolved for good (aborted, or its result set disposed) or
 * its engine is disposed, so that another {@link MockEngine} of the same JVM can re-attach to it. The record keeps the
 * task's whole output, which the recovered sandbox replays from the caller's offset. Thread-safe.
 */
final class MockRuns
{
    private static final Map<String, Run> RUNS = new ConcurrentHashMap<>();
    /**
     * Ids are UUID-shaped (the handle check expects that): one random UUID per JVM with a count mixed into its low
     * bits. Unique beyond the JVM like a random UUID per run (a handle saved by an earlier process does not name a run
     * of this one), without drawing from the shared SecureRandom for every task.
     */
    private static final UUID BASE = UUID.randomUUID();
    private static final AtomicLong COUNT = new AtomicLong();

    private MockRuns()
    {
    }

    /** What a recovered sandbox hears from the task it follows; called without the run's lock held. */
    interface Follower
    {
        /** The task printed {@code bytes}. */
        void output(byte[] bytes);

        /** The task terminated; the sandbox resolves with {@code termination}. */
        void terminated(Termination termination, Map<String, byte[]> files);

        /** The task is gone (aborted, or its engine disposed) without terminating. */
        void gone(String why);
    }

    /** One task's record. */
    static final class Run
    {
        final String id =
                new UUID(BASE.getMostSignificantBits(), BASE.getLeastSignificantBits() ^ COUNT.incrementAndGet())
                        .toString();
        final MockSandbox sandbox;
        private final ByteArrayOutputStream output = new ByteArrayOutputStream();
        private final List<Follower> followers = new ArrayList<>();
        // guarded by this
        private Termination termination;
        private Map<String, byte[]> files;
        private String gone;

        private Run(MockSandbox sandbox)
        {
            this.sandbox = sandbox;
        }

        void output(String text)
        {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            List<Follower> current;
            synchronized (this) {
                if (termination != null || gone != null) {
                    return;
                }
                output.writeBytes(bytes);
                current = List.copyOf(followers);
            }
            current.forEach(f -> f.output(bytes));
        }

        void terminated(Termination ended, Map<String, byte[]> written)
        {
            List<Follower> current;
            synchronized (this) {
                if (termination != null || gone != null) {
                    return;
                }
                termination = ended;
                files = written;
                current = List.copyOf(followers);
                followers.clear();
            }
            current.forEach(f -> f.terminated(ended, written));
        }

        /** The task ended without a result for followers (or its result was collected): forget it. */
        void gone(String why)
        {
            RUNS.remove(id, this);
            List<Follower> current;
            synchronized (this) {
                if (gone != null) {
                    return;
                }
                gone = why;
                current = List.copyOf(followers);
                followers.clear();
            }
            current.forEach(f -> f.gone(why));
        }

        /**
         * Replays the output from {@code offset} to {@code follower}, then reports what follows; if the task has
         * terminated, reports its termination at once.
         *
         * @return false if the run is gone
         */
        boolean follow(long offset, Follower follower)
        {
            byte[] past;
            Termination ended;
            Map<String, byte[]> written;
            synchronized (this) {
                if (gone != null) {
                    return false;
                }
                byte[] all = output.toByteArray();
                int from = (int) Math.min(offset, all.length);
                past = java.util.Arrays.copyOfRange(all, from, all.length);
                ended = termination;
                written = files;
                if (ended == null) {
                    // registered under the lock: nothing printed after the copy is missed or repeated
                    followers.add(follower);
                }
            }
            if (past.length > 0) {
                follower.output(past);
            }
            if (ended != null) {
                follower.terminated(ended, written);
            }
            return true;
        }

        synchronized void unfollow(Follower follower)
        {
            followers.remove(follower);
        }
    }

    static Run register(MockSandbox sandbox)
    {
        Run run = new Run(sandbox);
        RUNS.put(run.id, run);
        return run;
    }

    static Optional<Run> find(String id)
    {
        return Optional.ofNullable(RUNS.get(id));
    }
}
