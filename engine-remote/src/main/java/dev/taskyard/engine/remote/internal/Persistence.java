package dev.taskyard.engine.remote.internal;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import dev.taskyard.client.ProblemException;
import dev.taskyard.client.RetriesExhaustedException;
import dev.taskyard.client.ServerBusyException;
import dev.taskyard.client.SubmitOutcomeUnknownException;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.client.TransportException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Repeats a client call that failed transiently (its own retries spent on resets, 425/429/5xx) until it succeeds, the
 * remote has been unreachable for {@link RemoteSettings#unreachableTimeout()}, or the caller gives up. Only calls
 * that are safe to repeat go through here: reads, cancels, and submits carrying their idempotency key.
 * Thread-safe; stateless between calls.
 */
final class Persistence
{
    private static final Logger LOG = LoggerFactory.getLogger(Persistence.class);

    /** A client call. */
    @FunctionalInterface
    interface Call<T>
    {
        T run();
    }

    /** Thrown when the caller's stop condition became true between two tries. */
    static final class StoppedException
            extends Exception
    {
        StoppedException(String what)
        {
            super(what + " was abandoned", null, false, false);
        }
    }

    private final RemoteSettings settings;

    Persistence(RemoteSettings settings)
    {
        this.settings = requireNonNull(settings, "settings is null");
    }

    /**
     * Runs {@code call} until it returns or fails for a reason that is not transient (that failure is thrown as is).
     *
     * @param stopped checked before every repetition
     * @throws NonFatalInternalErrorException the remote stayed unreachable past the timeout
     */
    <T> T call(String what, BooleanSupplier stopped, Call<T> call)
            throws NonFatalInternalErrorException, InterruptedException, StoppedException
    {
        long start = System.nanoTime();
        int failures = 0;
        while (true) {
            try {
                return call.run();
            }
            catch (TaskyardException e) {
                if (Thread.interrupted()) {
                    throw interrupted(e);
                }
                if (!isTransient(e)) {
                    throw e;
                }
                failures++;
                Duration unreachable = Duration.ofNanos(System.nanoTime() - start);
                if (unreachable.compareTo(settings.unreachableTimeout()) >= 0) {
                    throw new NonFatalInternalErrorException("the remote taskyard server " + settings.baseUrl() + " stayed unreachable for "
                            + unreachable.toSeconds() + " s while " + what + ": " + e.getMessage(), e);
                }
                if (stopped.getAsBoolean()) {
                    throw new StoppedException(what);
                }
                Duration pause = settings.retryPolicy().backoff(failures);
                LOG.info("{} failed transiently ({} times so far): {}; trying again in {} ms", what, failures, e.getMessage(), pause.toMillis());
                Thread.sleep(pause.toMillis());
            }
        }
    }

    /** {@link #call(String, BooleanSupplier, Call)} for a caller that never gives up before the timeout. */
    <T> T call(String what, Call<T> call)
            throws NonFatalInternalErrorException, InterruptedException
    {
        try {
            return call(what, () -> false, call);
        }
        catch (StoppedException e) {
            throw new AssertionError("a call that is never stopped was stopped", e);
        }
    }

    /** Failures that say nothing about the request itself: the network, a busy or broken gateway or server. */
    static boolean isTransient(TaskyardException e)
    {
        if (e instanceof TransportException || e instanceof RetriesExhaustedException || e instanceof SubmitOutcomeUnknownException
                || e instanceof ServerBusyException) {
            return true;
        }
        if (e instanceof ProblemException problem) {
            int status = problem.status();
            return status == 408 || status == 425 || status == 429 || status >= 500;
        }
        return false;
    }

    private static InterruptedException interrupted(Exception cause)
    {
        InterruptedException interrupted = new InterruptedException("interrupted during a call to the remote server");
        interrupted.initCause(cause);
        return interrupted;
    }
}
