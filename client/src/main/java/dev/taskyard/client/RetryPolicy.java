package dev.taskyard.client;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import dev.taskyard.client.internal.Problems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The client's one retry policy, applied as an {@link Interceptor} to every call: a pure classification
 * ({@link #replayable}, {@link #isRetryableStatus}, {@link #isRetryable(IOException)}) plus a bounded loop.
 *
 * <ul>
 * <li>Only replayable requests are ever sent twice: reads (GET, HEAD, OPTIONS); a POST that carries an
 * {@code Idempotency-Key} (a submit: the server creates at most one task per key); and requests the client declares
 * idempotent (cancel, delete). Any other request goes through exactly once, whatever happens.</li>
 * <li>A replayable request is retried on the statuses 425, 429, 502, 503 and 504 and on transport failures
 * (connection refused or reset, a response cut short, a connect timeout), at most {@code maxAttempts} attempts in all
 * (5 by default). Not retried: other statuses, request timeouts, interruption, TLS trust failures, protocol errors,
 * unknown hosts.</li>
 * <li>Between attempts it sleeps (through its {@link Sleeper}) an exponential backoff from {@code initialBackoff}
 * (0.2 s) doubling to at most {@code maxBackoff} (2.0 s), each minus a random share of up to {@code jitter} (0.5) of
 * it. When the answer carries {@code Retry-After} (seconds or an HTTP date) it sleeps that long instead, but never
 * longer than {@code maxBackoff}.</li>
 * <li>When the budget is spent it throws {@link RetriesExhaustedException} naming the call, the last status and the
 * number of attempts, with the last failure as cause and the earlier ones suppressed. A failure that is not retried
 * after earlier retried ones carries them as suppressed exceptions too.</li>
 * </ul>
 *
 * <p>Below the policy, the JDK {@code HttpClient} itself sends a GET or HEAD once more, on a fresh connection, when a
 * connection is refused or closes before the first byte of the answer; that happens within one attempt of this
 * policy, so a read may reach the server up to twice per attempt (it never does so for a POST, unless the JVM runs
 * with {@code -Djdk.httpclient.enableAllMethodRetry}, which {@link TaskyardClient} warns about).
 *
 * <p>Immutable and thread-safe; one instance is shared by every call of a client (and may be shared by clients).
 */
public final class RetryPolicy
        implements Interceptor
{
    private static final Logger LOG = LoggerFactory.getLogger(RetryPolicy.class);

    /** 5 attempts: with 0.2, 0.4, 0.8 and 1.6 s between them about 3 s in all, enough to ride out a server restart. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(2);
    public static final double DEFAULT_JITTER = 0.5;
    /** Too Early, Too Many Requests, Bad Gateway, Service Unavailable, Gateway Timeout. */
    public static final Set<Integer> DEFAULT_RETRY_STATUSES = Set.of(425, 429, 502, 503, 504);

    /** Why a request may be sent again. */
    public enum Replay
    {
        /** GET, HEAD or OPTIONS. */
        READ,
        /** A POST with an {@code Idempotency-Key}: the server dedupes by key. */
        IDEMPOTENCY_KEY,
        /** Declared idempotent by the client ({@link ApiRequest#idempotent()}), e.g. cancel. */
        DECLARED_IDEMPOTENT,
        /** Never replayed. */
        NEVER
    }

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final double jitter;
    private final DoubleSupplier random;
    private final Sleeper sleeper;
    private final Set<Integer> retryStatuses;

    private RetryPolicy(Builder builder)
    {
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.jitter = builder.jitter;
        this.random = builder.random;
        this.sleeper = builder.sleeper;
        this.retryStatuses = Set.copyOf(builder.retryStatuses);
    }

    /** The defaults: 5 attempts, 0.2 s to 2.0 s with jitter 0.5, the real clock. */
    public static RetryPolicy defaults()
    {
        return builder().build();
    }

    /** A policy that never retries (one attempt; retryable failures still end in {@link RetriesExhaustedException}). */
    public static RetryPolicy none()
    {
        return builder().maxAttempts(1).build();
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** A builder starting from this policy's settings. */
    public Builder toBuilder()
    {
        Builder builder = new Builder();
        builder.maxAttempts = maxAttempts;
        builder.initialBackoff = initialBackoff;
        builder.maxBackoff = maxBackoff;
        builder.jitter = jitter;
        builder.random = random;
        builder.sleeper = sleeper;
        builder.retryStatuses = retryStatuses;
        return builder;
    }

    public int maxAttempts()
    {
        return maxAttempts;
    }

    public Sleeper sleeper()
    {
        return sleeper;
    }

    /** Why {@code request} may be replayed, or {@link Replay#NEVER}. */
    public static Replay replayable(ApiRequest request)
    {
        return switch (request.method()) {
            case "GET", "HEAD", "OPTIONS" -> Replay.READ;
            default -> {
                if (request.method().equals("POST") && request.header(ApiRequest.IDEMPOTENCY_KEY).isPresent()) {
                    yield Replay.IDEMPOTENCY_KEY;
                }
                yield request.idempotent() ? Replay.DECLARED_IDEMPOTENT : Replay.NEVER;
            }
        };
    }

    public boolean isRetryableStatus(int status)
    {
        return retryStatuses.contains(status);
    }

    /**
     * Whether a transport failure may heal on another attempt: yes for resets, refused connections, responses cut
     * short and connect timeouts; no for request timeouts, interruption, protocol errors, unknown hosts and TLS trust
     * failures (after OkHttp's {@code RetryAndFollowUpInterceptor.isRecoverable}).
     */
    public static boolean isRetryable(IOException failure)
    {
        if (failure instanceof HttpConnectTimeoutException) {
            return true;
        }
        return !(failure instanceof HttpTimeoutException
                || failure instanceof InterruptedIOException
                || failure instanceof ProtocolException
                || failure instanceof UnknownHostException
                || failure instanceof SSLHandshakeException
                || failure instanceof SSLPeerUnverifiedException);
    }

    /** The backoff after the {@code failedAttempts}-th failed attempt (1-based), jitter included. */
    public Duration backoff(int failedAttempts)
    {
        if (failedAttempts < 1) {
            throw new IllegalArgumentException("failedAttempts must be positive");
        }
        long nanos = initialBackoff.toNanos();
        for (int i = 1; i < failedAttempts && nanos < maxBackoff.toNanos(); i++) {
            nanos *= 2;
        }
        nanos = Math.min(nanos, maxBackoff.toNanos());
        double share = Math.min(1.0, Math.max(0.0, random.getAsDouble()));
        return Duration.ofNanos(nanos - (long) (nanos * jitter * share));
    }

    /** The pause before the next attempt: {@code Retry-After} capped at the maximum backoff, else {@link #backoff}. */
    public Duration delay(int failedAttempts, Optional<Duration> retryAfter)
    {
        return retryAfter.map(after -> after.compareTo(maxBackoff) > 0 ? maxBackoff : after)
                .orElseGet(() -> backoff(failedAttempts));
    }

    @Override
    public ApiResponse intercept(Chain chain)
            throws IOException
    {
        ApiRequest request = chain.request();
        if (replayable(request) == Replay.NEVER) {
            return chain.proceed(request);
        }
        List<Throwable> earlier = new ArrayList<>();
        for (int attempt = 1; ; attempt++) {
            Throwable failure;
            OptionalInt status = OptionalInt.empty();
            Duration delay;
            try {
                ApiResponse response = chain.proceed(request);
                if (!isRetryableStatus(response.status())) {
                    return response;
                }
                ProblemException problem = Problems.toException(response, sleeper.now());
                failure = problem;
                status = OptionalInt.of(problem.status());
                delay = delay(attempt, problem.retryAfter());
            }
            catch (IOException e) {
                if (!isRetryable(e)) {
                    earlier.forEach(e::addSuppressed);
                    throw e;
                }
                failure = e;
                delay = backoff(attempt);
            }
            if (attempt >= maxAttempts) {
                RetriesExhaustedException exhausted =
                        new RetriesExhaustedException(request.describe(), attempt, status, failure);
                earlier.forEach(exhausted::addSuppressed);
                // the caller reports the exception (a CLI as its one error line); here it is only a trace
                LOG.debug("{}", exhausted.getMessage());
                throw exhausted;
            }
            earlier.add(failure);
            LOG.info("{}: attempt {} of {} failed ({}); retrying in {} ms", request.describe(), attempt, maxAttempts,
                    status.isPresent() ? "status " + status.getAsInt() : failure.toString(), delay.toMillis());
            try {
                sleeper.sleep(delay);
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                InterruptedIOException interrupted =
                        new InterruptedIOException("interrupted while retrying " + request.describe());
                earlier.forEach(interrupted::addSuppressed);
                throw interrupted;
            }
        }
    }

    @Override
    public String toString()
    {
        return "RetryPolicy[maxAttempts=" + maxAttempts + ", backoff=" + initialBackoff + ".."
                + maxBackoff + ", jitter=" + jitter
                + ", statuses=" + new java.util.TreeSet<>(retryStatuses) + "]";
    }

    /** Builds a {@link RetryPolicy}; not thread-safe. */
    public static final class Builder
    {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private double jitter = DEFAULT_JITTER;
        private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
        private Sleeper sleeper = Sleeper.system();
        private Set<Integer> retryStatuses = DEFAULT_RETRY_STATUSES;

        private Builder() {}

        /** Attempts in all, the first included; at least 1. */
        public Builder maxAttempts(int maxAttempts)
        {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder backoff(Duration initial, Duration max)
        {
            requireNonNull(initial, "initial is null");
            requireNonNull(max, "max is null");
            if (initial.isNegative() || max.compareTo(initial) < 0) {
                throw new IllegalArgumentException("need 0 <= initial <= max");
            }
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /** The largest share (0 to 1) of a backoff that is randomly taken off it. */
        public Builder jitter(double jitter)
        {
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("jitter must be from 0 to 1");
            }
            this.jitter = jitter;
            return this;
        }

        /** The source of randomness for the jitter, values in [0, 1); must be thread-safe. */
        public Builder random(DoubleSupplier random)
        {
            this.random = requireNonNull(random, "random is null");
            return this;
        }

        public Builder sleeper(Sleeper sleeper)
        {
            this.sleeper = requireNonNull(sleeper, "sleeper is null");
            return this;
        }

        /** The statuses retried (replayable requests only). */
        public Builder retryStatuses(Set<Integer> statuses)
        {
            this.retryStatuses = Set.copyOf(requireNonNull(statuses, "statuses is null"));
            return this;
        }

        public RetryPolicy build()
        {
            return new RetryPolicy(this);
        }
    }
}
