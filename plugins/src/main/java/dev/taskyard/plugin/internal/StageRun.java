package dev.taskyard.plugin.internal;

import java.time.Duration;
import java.util.AbstractList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.HookExecutor;
import dev.taskyard.plugin.HookLivelockException;
import dev.taskyard.plugin.Incidents;
import org.slf4j.MDC;

/**
 * One execution of a stage by {@link HookExecutor}: the calling thread claims and runs hooks one by one; the
 * executor's monitor {@linkplain #check(long, long) forks} unclaimed hooks to the pool once the stage is slow and
 * marks hooks running past the limit as livelocked. Every hook is claimed exactly once (a CAS on its state), and its
 * outcome is published exactly once (a CAS from running to done or livelocked), so a late hook cannot overwrite a
 * livelock verdict. Thread-safe.
 */
public final class StageRun<T>
{
    private static final int PENDING = 0;
    private static final int RUNNING = 1;
    private static final int DONE = 2;
    private static final int LIVELOCKED = 3;

    private final String stage;
    private final TaskContext context;
    private final List<HookExecutor.Hook<T>> hooks;
    private final ExecutorService pool;
    private final long livelockNanos;
    private final Duration livelockTimeout;
    private final AtomicIntegerArray state;
    private final AtomicLongArray started;
    private final Object[] values;
    private final Throwable[] errors;
    private final CountDownLatch done;
    private final long createdNanos = System.nanoTime();
    private final Thread owner = Thread.currentThread();

    // guarded by this: the hook the owner thread is running, -1 if none
    private int inline = -1;

    public StageRun(String stage, TaskContext context, List<HookExecutor.Hook<T>> hooks, ExecutorService pool, Duration livelockTimeout)
    {
        this.stage = stage;
        this.context = context;
        this.hooks = hooks;
        this.pool = pool;
        this.livelockTimeout = livelockTimeout;
        this.livelockNanos = livelockTimeout.toNanos();
        int n = hooks.size();
        this.state = new AtomicIntegerArray(n);
        this.started = new AtomicLongArray(n);
        this.values = new Object[n];
        this.errors = new Throwable[n];
        this.done = new CountDownLatch(n);
    }

    /** Runs the stage on the calling thread (the owner) and returns the outcomes in hook order. */
    public List<HookExecutor.Outcome<T>> execute(boolean forkAll)
    {
        int n = hooks.size();
        if (forkAll) {
            for (int i = 1; i < n; i++) {
                fork(i);
            }
        }
        for (int i = 0; i < n; i++) {
            if (claim(i)) {
                runInline(i);
            }
        }
        awaitAll();
        return new AbstractList<>()
        {
            @Override
            @SuppressWarnings("unchecked")
            public HookExecutor.Outcome<T> get(int index)
            {
                return new HookExecutor.Outcome<>(hooks.get(index).component(), (T) values[index], errors[index]);
            }

            @Override
            public int size()
            {
                return n;
            }
        };
    }

    /** Called by the monitor: forks unclaimed hooks of a slow stage and detects livelocks. */
    public void check(long now, long forkNanos)
    {
        int n = hooks.size();
        if (now - createdNanos >= forkNanos) {
            for (int i = 0; i < n; i++) {
                if (state.get(i) == PENDING) {
                    fork(i);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            long start = started.get(i);
            if (state.get(i) == RUNNING && start != 0 && now - start > livelockNanos) {
                livelock(i);
            }
        }
    }

    private boolean claim(int index)
    {
        if (state.compareAndSet(index, PENDING, RUNNING)) {
            started.set(index, System.nanoTime() | 1);
            return true;
        }
        return false;
    }

    private void fork(int index)
    {
        if (!claim(index)) {
            return;
        }
        try {
            pool.execute(() -> runForked(index));
        }
        catch (RejectedExecutionException e) {
            complete(index, null, new IllegalStateException("the hook executor is closed", e));
        }
    }

    private void runInline(int index)
    {
        synchronized (this) {
            inline = index;
        }
        try {
            invoke(index);
        }
        finally {
            synchronized (this) {
                inline = -1;
                if (state.get(index) == LIVELOCKED) {
                    Thread.interrupted(); // the monitor's interrupt was meant for the livelocked hook
                }
            }
        }
    }

    private void runForked(int index)
    {
        if (context != null) {
            MDC.put("taskId", context.taskId());
            MDC.put("runId", context.runId());
        }
        try {
            invoke(index);
        }
        finally {
            if (context != null) {
                MDC.remove("taskId");
                MDC.remove("runId");
            }
        }
    }

    private void invoke(int index)
    {
        Object value = null;
        Throwable error = null;
        try {
            value = hooks.get(index).call().call();
        }
        catch (Throwable t) {
            error = t;
        }
        complete(index, value, error);
    }

    private void complete(int index, Object value, Throwable error)
    {
        if (state.compareAndSet(index, RUNNING, DONE)) {
            values[index] = value;
            errors[index] = error;
            done.countDown();
        }
    }

    private void livelock(int index)
    {
        if (!state.compareAndSet(index, RUNNING, LIVELOCKED)) {
            return;
        }
        String component = hooks.get(index).component();
        String what = "livelock detected: " + component + " ran its " + stage + " hook for longer than " + livelockTimeout;
        String incident = Incidents.report(context, what, null);
        errors[index] = new HookLivelockException(what + " (incident id " + incident + ")");
        done.countDown();
        synchronized (this) {
            if (inline == index) {
                owner.interrupt();
            }
        }
    }

    private void awaitAll()
    {
        boolean interrupted = false;
        while (true) {
            try {
                if (done.await(livelockNanos, TimeUnit.NANOSECONDS)) {
                    break;
                }
            }
            catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
