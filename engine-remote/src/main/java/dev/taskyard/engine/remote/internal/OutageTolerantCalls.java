package dev.taskyard.engine.remote.internal;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import dev.taskyard.client.ProblemException;
import dev.taskyard.client.RetriesExhaustedException;
import dev.taskyard.client.RetryPolicy;
import dev.taskyard.client.ServerBusyException;
import dev.taskyard.client.Sleeper;
import dev.taskyard.client.SubmitOutcomeUnknownException;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.client.TaskyardException;
import dev.taskyard.client.TransportException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The remote engine's one policy for calls to the remote server, in two phases:
 * <ol>
 * <li><b>the client's retry budget:</b> the call runs once on the client, whose {@link RetryPolicy} makes up to
 * {@link RetryPolicy#maxAttempts()} attempts with its backoff;</li>
 * <li><b>the outage window:</b> when that fails transiently (see {@link #isTransient}), the call is repeated on a
 * client <em>without</em> retries, one attempt at a time paced at the policy's backoff (at least
 * {@link #MIN_PACE}), until it succeeds, fails for a reason that is not transient, the remote has been unreachable
 * for the outage window ({@link RemoteSettings#unreachableTimeout()}, counted from the call's start), or the caller
 * stops.</li>
 * </ol>
 * So the attempts add up instead of multiplying: one call makes at most {@code maxAttempts + 1 + window / pace}
 * attempts of each request it sends. Only calls that are safe to repeat go through here: reads, cancels, deletes, and
 * submits carrying their idempotency key. Time and pauses come from the retry policy's {@link Sleeper}.
 *
 * <p>Thread-safe; stateless between calls.
 */
final class OutageTolerantCalls
{
    private static final Logger LOG = LoggerFactory.getLogger(OutageTolerantCalls.class);

    /** The shortest pause between two attempts of the outage phase, whatever the policy's backoff. */
    static final Duration MIN_PACE = Duration.ofMillis(50);

    /** A call on the client it is given. */
    @FunctionalInterface
    interface Call<T>
    {
        T run(TaskyardClient client);
    }

    /** Thrown when the caller's stop condition became true between two attempts. */
    static final class StoppedException
            extends Exception
    {
        StoppedException(String what)
        {
            super(what + " was abandoned", null, false, false);
        }
    }

    private final TaskyardClient client;
    private final TaskyardClient singleAttempt;
    private final RetryPolicy policy;
    private final Sleeper sleeper;
    private final Duration outageWindow;
    private final String remote;

    /**
     * @param client the client with the retry budget of the first phase
     * @param outageWindow how long the remote may stay unreachable before a call gives up
     */
    OutageTolerantCalls(TaskyardClient client, Duration outageWindow, String remote)
    {
        this.client = requireNonNull(client, "client is null");
        this.policy = client.retryPolicy();
        this.singleAttempt = client.withRetryPolicy(policy.toBuilder().maxAttempts(1).build());
        this.sleeper = policy.sleeper();
        this.outageWindow = requireNonNull(outageWindow, "outageWindow is null");
        this.remote = requireNonNull(remote, "remote is null");
    }

    /**
     * Runs {@code call} through both phases; a failure that is not transient is thrown as is.
     *
     * @param stopped checked before every attempt of the outage phase
     * @throws NonFatalInternalErrorException the remote stayed unreachable past the outage window
     */
    <T> T call(String what, BooleanSupplier stopped, Call<T> call)
            throws NonFatalInternalErrorException, InterruptedException, StoppedException
    {
        long start = sleeper.nanoTime();
        TaskyardClient current = client;
        int failures = 0;
        while (true) {
            try {
                return call.run(current);
            }
            catch (TaskyardException e) {
                if (Thread.interrupted()) {
                    throw interrupted(e);
                }
                if (!isTransient(e)) {
                    throw e;
                }
                failures++;
                Duration unreachable = Duration.ofNanos(sleeper.nanoTime() - start);
                if (unreachable.compareTo(outageWindow) >= 0) {
                    throw new NonFatalInternalErrorException("the remote taskyard server " + remote
                            + " stayed unreachable for " + unreachable.toSeconds() + " s while " + what + ": "
                            + e.getMessage(), e);
                }
                if (stopped.getAsBoolean()) {
                    throw new StoppedException(what);
                }
                Duration pace = policy.backoff(policy.maxAttempts() + failures - 1);
                pace = pace.compareTo(MIN_PACE) < 0 ? MIN_PACE : pace;
                LOG.info("{} failed transiently ({} times so far, the retry budget spent): {}; one more attempt in "
                        + "{} ms", what, failures, e.getMessage(), pace.toMillis());
                sleeper.sleep(pace);
                current = singleAttempt;
            }
        }
    }

    /** {@link #call(String, BooleanSupplier, Call)} for a caller that never gives up before the outage window ends. */
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
        if (e instanceof TransportException || e instanceof RetriesExhaustedException
                || e instanceof SubmitOutcomeUnknownException || e instanceof ServerBusyException) {
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
