package dev.taskyard.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.client.internal.HeadersInterceptor;
import dev.taskyard.client.internal.Json;
import dev.taskyard.client.internal.Problems;
import dev.taskyard.client.internal.RealChain;
import dev.taskyard.client.internal.RetryAfter;
import dev.taskyard.client.internal.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The client of taskyard's asynchronous task REST API ({@code /v1/tasks}): submit, get, wait for, follow the log of,
 * cancel and list tasks, and download their artifacts.
 *
 * <p><b>Threading.</b> A client is immutable once built and thread-safe: any number of threads may call it at once;
 * it shares one JDK {@link HttpClient} (and its connection pool), one {@link RetryPolicy} and its interceptors across
 * all calls. Calls block the calling thread; interrupting it ends the call with a {@link TransportException} (or,
 * for a submit, a {@link SubmitOutcomeUnknownException}) and keeps the interrupt flag set.
 *
 * <p><b>Retries.</b> Every call goes through the client's {@link RetryPolicy} (see there): reads are retried on
 * 425/429/502/503/504 and transport failures; a submit is retried only because it carries its
 * {@code Idempotency-Key} (generated per call unless the {@link SubmitRequest} has one); a cancel is retried because
 * it is idempotent; nothing else that changes state is ever sent twice.
 *
 * <p><b>Errors.</b> All unchecked, all {@link TaskyardException}s: an error answer becomes a {@link ProblemException}
 * (or its subclass for 400, 401/403, 404, 409/422 on submit, 429/503) with status, type, detail and
 * {@code Retry-After}; a spent retry budget a {@link RetriesExhaustedException}; a submit of unknown outcome a
 * {@link SubmitOutcomeUnknownException} naming the key to submit again with; a broken exchange a
 * {@link TransportException}; an unreadable answer a {@link TaskyardException}.
 *
 * <p>The token is sent as {@code Authorization: Bearer <token>} and never logged nor shown by {@code toString()}.
 */
public final class TaskyardClient
{
    private static final Logger LOG = LoggerFactory.getLogger(TaskyardClient.class);
    private static final String USER_AGENT = "taskyard-client/" + version();
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-.*");

    private final URI baseUrl;
    private final String token;
    private final Duration requestTimeout;
    private final RetryPolicy retryPolicy;
    private final PollSettings poll;
    private final Sleeper sleeper;
    private final List<Interceptor> interceptors;
    private final HttpClient http;
    private final List<Interceptor> chain;
    private final AtomicBoolean longPollRejected = new AtomicBoolean();

    private TaskyardClient(Builder builder)
    {
        this(requireNonNull(builder.baseUrl, "baseUrl is not set"), requireNonNull(builder.token, "token is not set"),
                builder.requestTimeout, builder.retryPolicy, builder.poll, builder.sleeper,
                List.copyOf(builder.interceptors), HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(builder.connectTimeout)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .build());
        String allMethodRetry = System.getProperty("jdk.httpclient.enableAllMethodRetry");
        if (allMethodRetry != null && !allMethodRetry.equalsIgnoreCase("false")) {
            LOG.warn("jdk.httpclient.enableAllMethodRetry is set: the JDK HttpClient may send a POST twice on its "
                    + "own, below the retry policy");
        }
    }

    private TaskyardClient(URI baseUrl, String token, Duration requestTimeout, RetryPolicy retryPolicy,
            PollSettings poll, Sleeper sleeper, List<Interceptor> interceptors, HttpClient http)
    {
        this.baseUrl = baseUrl;
        this.token = token;
        this.requestTimeout = requestTimeout;
        this.retryPolicy = retryPolicy;
        this.poll = poll;
        this.sleeper = sleeper;
        this.interceptors = interceptors;
        this.http = http;
        List<Interceptor> all = new ArrayList<>(interceptors);
        all.add(retryPolicy);
        all.add(new HeadersInterceptor(token, USER_AGENT));
        all.add(new Transport(http));
        this.chain = List.copyOf(all);
    }

    /**
     * A client like this one (same server, token, timeouts, interceptors, and the same connection pool) whose calls
     * go through {@code retryPolicy} instead, e.g. {@link RetryPolicy#none()} for a caller that spaces its own
     * repetitions.
     */
    public TaskyardClient withRetryPolicy(RetryPolicy retryPolicy)
    {
        requireNonNull(retryPolicy, "retryPolicy is null");
        return new TaskyardClient(baseUrl, token, requestTimeout, retryPolicy, poll, sleeper, interceptors, http);
    }

    /** The retry policy every call of this client goes through. */
    public RetryPolicy retryPolicy()
    {
        return retryPolicy;
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /**
     * Submits a task: {@code POST /v1/tasks} with the payload and an {@code Idempotency-Key} (the request's, else a
     * fresh random one), retried under that key, so the server creates at most one task for it.
     *
     * @throws InvalidRequestException the payload was rejected (each violation with its JSON path)
     * @throws IdempotencyConflictException the key was used before with another payload
     * @throws SubmitOutcomeUnknownException every attempt failed, or the exchange broke: the task may or may not
     *         exist; submit again with the exception's key
     */
    public Submission submit(SubmitRequest request)
    {
        requireNonNull(request, "request is null");
        String key = request.idempotencyKey().orElseGet(() -> UUID.randomUUID().toString());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put(ApiRequest.IDEMPOTENCY_KEY, key);
        ApiRequest http = new ApiRequest("POST", uri("/v1/tasks"), headers, Optional.of(Json.bytes(request.payload())),
                false, false, requestTimeout);
        ApiResponse response;
        try {
            response = execute(http);
        }
        catch (RetriesExhaustedException e) {
            throw new SubmitOutcomeUnknownException(key, e.attempts(), e.lastStatus(), e);
        }
        catch (TransportException e) {
            throw new SubmitOutcomeUnknownException(key, 1 + e.getCause().getSuppressed().length,
                    OptionalInt.empty(), e);
        }
        Task task = task(response);
        URI location = response.header("Location").map(baseUrl::resolve)
                .orElseGet(() -> uri("/v1/tasks/" + segment(task.taskId())));
        LOG.debug("submitted task {} (Idempotency-Key {})", task.taskId(), key);
        return new Submission(location, key, task);
    }

    /** Submits {@code payload} under a fresh idempotency key; see {@link #submit(SubmitRequest)}. */
    public Submission submit(JsonNode payload)
    {
        return submit(SubmitRequest.of(payload));
    }

    /**
     * The task's current state ({@code GET /v1/tasks/{id}}).
     *
     * @throws NotFoundException no such task
     */
    public Task get(String taskId)
    {
        return task(execute(ApiRequest.get(uri(taskPath(taskId)), requestTimeout)));
    }

    /**
     * Waits until the task has ended and returns its final state. Long-polls ({@code ?wait} with {@code If-None-Match})
     * when the poll settings allow it and the server accepts it, else polls, pausing as {@link PollSettings} says:
     * the server's {@code Retry-After} clamped to the configured range and to the deadline. Pauses go through the
     * client's {@link Sleeper}.
     *
     * @param timeout how long to wait at most; the task is polled once more at the deadline
     * @throws WaitTimeoutException the deadline came first; carries the last state seen
     */
    public Task waitFor(String taskId, Duration timeout)
    {
        requireNonNull(timeout, "timeout is null");
        long deadline = sleeper.nanoTime() + timeout.toNanos();
        Task task = get(taskId);
        while (!task.isTerminal()) {
            long remaining = deadline - sleeper.nanoTime();
            if (remaining <= 0) {
                throw new WaitTimeoutException(task);
            }
            long waitSeconds = longPollRejected.get() ? 0
                    : Math.min(poll.longPollWait().toSeconds(), Duration.ofNanos(remaining).toSeconds());
            if (waitSeconds >= 1 && task.etag().isPresent()) {
                long start = sleeper.nanoTime();
                Task answer;
                try {
                    answer = longPoll(task, waitSeconds);
                }
                catch (InvalidRequestException e) {
                    LOG.info("the server rejects long polls ({}); polling instead", e.getMessage());
                    longPollRejected.set(true);
                    continue;
                }
                boolean changed = !answer.etag().equals(task.etag());
                task = answer;
                if (!changed) {
                    Duration elapsed = Duration.ofNanos(sleeper.nanoTime() - start);
                    if (elapsed.compareTo(Duration.ofSeconds(waitSeconds)) < 0) {
                        pause(poll.clamp(answer.retryAfter().orElse(null)).minus(elapsed), deadline);
                    }
                }
            }
            else {
                pause(poll.clamp(task.retryAfter().orElse(null)), deadline);
                task = get(taskId);
            }
        }
        return task;
    }

    /**
     * The task's state once it changes, or after {@code wait} without a change ({@code GET /v1/tasks/{id}?wait=S},
     * a long poll answered by the server when the task changes from the state it has when the request arrives).
     * {@code wait} is rounded down to whole seconds; under one second the current state is read at once. Retried like
     * any read. A terminal task is answered at once.
     *
     * @throws NotFoundException no such task
     * @throws InvalidRequestException the server refuses the wait (e.g. longer than it allows)
     */
    public Task awaitChange(String taskId, Duration wait)
    {
        requireNonNull(wait, "wait is null");
        long seconds = wait.toSeconds();
        if (seconds < 1) {
            return get(taskId);
        }
        return task(execute(ApiRequest.get(uri(taskPath(taskId) + "?wait=" + seconds),
                requestTimeout.plusSeconds(seconds))));
    }

    /**
     * The task's state once it differs from {@code known}, or after {@code wait} without a change: a long poll with
     * {@code If-None-Match} and {@code known}'s ETag, so no change that happened since {@code known} was read is
     * missed. Without a change it returns {@code known} (with the server's {@code Retry-After}, if any). Without an
     * ETag in {@code known} it is {@link #awaitChange(String, Duration)}. Under one second it reads the state at once.
     *
     * @throws NotFoundException no such task
     */
    public Task awaitChange(Task known, Duration wait)
    {
        requireNonNull(known, "known is null");
        requireNonNull(wait, "wait is null");
        if (known.etag().isEmpty() || wait.toSeconds() < 1) {
            return awaitChange(known.taskId(), wait);
        }
        return longPoll(known, wait.toSeconds());
    }

    private Task longPoll(Task known, long waitSeconds)
    {
        URI uri = uri(taskPath(known.taskId()) + "?wait=" + waitSeconds);
        ApiRequest request = ApiRequest.get(uri, requestTimeout.plusSeconds(waitSeconds))
                .withHeader("If-None-Match", known.etag().orElseThrow());
        ApiResponse response = execute(request);
        if (response.status() == 304) {
            response.close();
            Optional<Duration> retryAfter = RetryAfter.parse(response.header("Retry-After"), sleeper.now());
            return new Task(known.taskId(), known.status(), known.progressPercent(), known.createdAt(),
                    known.startedAt(), known.completedAt(), known.attempt(), known.exitCode(), known.result(),
                    known.error(), known.links(), known.etag(), retryAfter, known.document());
        }
        return task(response);
    }

    private void pause(Duration pause, long deadline)
    {
        Duration left = Duration.ofNanos(Math.max(0, deadline - sleeper.nanoTime()));
        Duration sleep = pause.compareTo(left) > 0 ? left : pause;
        if (sleep.isNegative() || sleep.isZero()) {
            return;
        }
        sleep(sleep);
    }

    private void sleep(Duration duration)
    {
        try {
            sleeper.sleep(duration);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted");
            interrupted.initCause(e);
            throw new TransportException("interrupted", interrupted);
        }
    }

    /** Follows the task's whole log; see {@link #followLog(String, long, OutputStream)}. */
    public long followLog(String taskId, OutputStream out)
    {
        return followLog(taskId, 0, out);
    }

    /**
     * Copies the task's log from byte {@code from} to {@code out} as it is written, until the task ends
     * ({@code GET /v1/tasks/{id}/log}). When the stream breaks, it resumes with {@code Range: bytes=N-} from the
     * first byte not yet written, so no byte is lost or repeated (a server that ignores the range is skipped past).
     * It gives up after {@link RetryPolicy#maxAttempts()} consecutive breaks without progress, pausing with the
     * policy's backoff between them. Starting at (or resuming at) the end of a finished log copies nothing: the
     * server's 416 for that range ends the call normally. {@code out} is not closed.
     *
     * @return the number of bytes written to {@code out}
     * @throws TransportException the stream kept breaking
     * @throws RetriesExhaustedException a (re)opening of the stream failed every attempt of the retry policy
     * @throws UncheckedIOException writing to {@code out} failed
     */
    public long followLog(String taskId, long from, OutputStream out)
    {
        requireNonNull(out, "out is null");
        if (from < 0) {
            throw new IllegalArgumentException("from must not be negative");
        }
        long position = from;
        int breaks = 0;
        List<IOException> failures = new ArrayList<>();
        byte[] buffer = new byte[16 * 1024];
        while (true) {
            ApiRequest request = new ApiRequest("GET", uri(taskPath(taskId) + "/log"),
                    position > 0 ? Map.of("Range", "bytes=" + position + "-") : Map.of(),
                    Optional.empty(), false, true, requestTimeout);
            long skip = 0;
            long before = position;
            ApiResponse opened;
            try {
                opened = execute(request);
            }
            catch (ProblemException e) {
                if (e.status() == 416 && position > 0) {
                    // the range starts at the end of a finished log: nothing more to copy
                    return position - from;
                }
                throw e;
            }
            try (ApiResponse response = opened) {
                if (position > 0 && response.status() == 206) {
                    long start = response.header("Content-Range").map(CONTENT_RANGE::matcher).filter(Matcher::matches)
                            .map(m -> Long.parseLong(m.group(1))).orElse(position);
                    if (start != position) {
                        throw new TaskyardException("asked for the log from byte " + position
                                + ", got it from byte " + start);
                    }
                }
                else if (position > 0) {
                    skip = position;
                }
                InputStream in = response.body();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    int offset = 0;
                    if (skip > 0) {
                        offset = (int) Math.min(skip, n);
                        skip -= offset;
                    }
                    if (n > offset) {
                        write(out, buffer, offset, n - offset);
                        position += n - offset;
                    }
                }
                return position - from;
            }
            catch (IOException e) {
                breaks = position > before ? 1 : breaks + 1;
                failures.add(e);
                if (!RetryPolicy.isRetryable(e) || breaks >= retryPolicy.maxAttempts()) {
                    TransportException failure = new TransportException("following the log of task " + taskId
                            + " broke at byte " + position + " (" + breaks + " breaks without progress)", e);
                    failures.subList(0, failures.size() - 1).forEach(failure::addSuppressed);
                    throw failure;
                }
                Duration delay = retryPolicy.backoff(breaks);
                LOG.info("the log of task {} broke at byte {} ({}); resuming in {} ms", taskId, position,
                        e.toString(), delay.toMillis());
                sleep(delay);
            }
        }
    }

    private static void write(OutputStream out, byte[] buffer, int offset, int length)
    {
        try {
            out.write(buffer, offset, length);
        }
        catch (IOException e) {
            throw new UncheckedIOException("writing the log failed", e);
        }
    }

    /**
     * Requests cancellation ({@code POST /v1/tasks/{id}/cancel}, idempotent, so retried) and returns the task's state
     * as the server answered; the task may take a while to end (use {@link #waitFor}).
     */
    public Task cancel(String taskId)
    {
        ApiRequest request = new ApiRequest("POST", uri(taskPath(taskId) + "/cancel"), Map.of(), Optional.empty(),
                true, false, requestTimeout);
        return task(execute(request));
    }

    /**
     * Forgets a finished task and its log and artifacts ({@code DELETE /v1/tasks/{id}}). Deleting is idempotent, so
     * it is retried; a retry whose first attempt did delete the task answers 404.
     *
     * @throws NotFoundException no such task (or it was just deleted)
     * @throws ProblemException the task has not finished (409)
     */
    public void delete(String taskId)
    {
        ApiRequest request = new ApiRequest("DELETE", uri(taskPath(taskId)), Map.of(), Optional.empty(), true,
                false, requestTimeout);
        execute(request).close();
    }

    /** One page of the task list ({@code GET /v1/tasks}). */
    public TaskPage list(TaskQuery query)
    {
        requireNonNull(query, "query is null");
        List<String> parameters = new ArrayList<>();
        query.status().ifPresent(s -> parameters.add("status=" + s.name()));
        query.pageSize().ifPresent(s -> parameters.add("page_size=" + s));
        query.pageToken().ifPresent(t ->
                parameters.add("page_token=" + java.net.URLEncoder.encode(t, StandardCharsets.UTF_8)));
        URI uri = uri("/v1/tasks" + (parameters.isEmpty() ? "" : "?" + String.join("&", parameters)));
        try (ApiResponse response = execute(ApiRequest.get(uri, requestTimeout))) {
            return Json.page(Json.read(response.bytes()));
        }
        catch (IOException e) {
            throw new TaskyardException("unreadable task list: " + e.getMessage(), e);
        }
    }

    /**
     * The JSON Schema (draft 2020-12) the server validates task payloads against ({@code GET /v1/schemas/payload}):
     * the merged schema of its engine and enabled plugins. Retried like any read.
     *
     * @throws NotFoundException the server is older than this endpoint
     */
    public JsonNode payloadSchema()
    {
        try (ApiResponse response = execute(ApiRequest.get(uri("/v1/schemas/payload"), requestTimeout))) {
            return Json.read(response.bytes());
        }
        catch (IOException e) {
            throw new TaskyardException("unreadable payload schema: " + e.getMessage(), e);
        }
    }

    /** The artifacts of the task's latest run ({@code GET /v1/tasks/{id}/artifacts}). */
    public List<Artifact> artifacts(String taskId)
    {
        try (ApiResponse response = execute(ApiRequest.get(uri(taskPath(taskId) + "/artifacts"), requestTimeout))) {
            return Json.artifacts(Json.read(response.bytes()));
        }
        catch (IOException e) {
            throw new TaskyardException("unreadable artifact list: " + e.getMessage(), e);
        }
    }

    /**
     * Copies one artifact to {@code out} ({@code GET /v1/tasks/{id}/artifacts/{name}}); {@code out} is not closed.
     * The request is retried like any read, but a download that breaks midway is not resumed.
     *
     * @return the number of bytes written
     * @throws NotFoundException no such task or artifact
     * @throws TransportException the download broke
     */
    public long downloadArtifact(String taskId, String name, OutputStream out)
    {
        requireNonNull(name, "name is null");
        requireNonNull(out, "out is null");
        StringBuilder path = new StringBuilder(taskPath(taskId)).append("/artifacts");
        for (String part : name.split("/", -1)) {
            path.append('/').append(segment(part));
        }
        ApiRequest request = new ApiRequest("GET", uri(path.toString()), Map.of("Accept", "*/*"), Optional.empty(),
                false, true, requestTimeout);
        try (ApiResponse response = execute(request)) {
            byte[] buffer = new byte[16 * 1024];
            long total = 0;
            int n;
            InputStream in = response.body();
            while ((n = in.read(buffer)) >= 0) {
                write(out, buffer, 0, n);
                total += n;
            }
            return total;
        }
        catch (IOException e) {
            throw new TransportException("downloading artifact " + name + " of task " + taskId
                    + " broke: " + e.getMessage(), e);
        }
    }

    /** Runs {@code request} through the chain; an error answer becomes its {@link ProblemException}. */
    private ApiResponse execute(ApiRequest request)
    {
        ApiResponse response;
        try {
            response = RealChain.run(chain, request);
        }
        catch (IOException e) {
            throw new TransportException(request.describe() + " failed: " + e, e);
        }
        if (!response.isSuccessful() && response.status() != 304) {
            throw Problems.toException(response, sleeper.now());
        }
        return response;
    }

    private Task task(ApiResponse response)
    {
        try (response) {
            return Json.task(Json.read(response.bytes()), response.header("ETag"),
                    RetryAfter.parse(response.header("Retry-After"), sleeper.now()));
        }
        catch (IOException e) {
            throw new TaskyardException("unreadable answer to " + response.request().describe()
                    + ": " + e.getMessage(), e);
        }
    }

    private URI uri(String pathAndQuery)
    {
        return URI.create(baseUrl.toString() + pathAndQuery);
    }

    private static String taskPath(String taskId)
    {
        requireNonNull(taskId, "taskId is null");
        if (taskId.isEmpty()) {
            throw new IllegalArgumentException("taskId is empty");
        }
        return "/v1/tasks/" + segment(taskId);
    }

    /** Percent-encodes one path segment (RFC 3986 unreserved characters stay). */
    static String segment(String text)
    {
        StringBuilder encoded = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                encoded.append((char) c);
            }
            else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return encoded.toString();
    }

    private static String version()
    {
        String version = TaskyardClient.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    @Override
    public String toString()
    {
        return "TaskyardClient[baseUrl=" + baseUrl + ", token=<redacted>, requestTimeout=" + requestTimeout + ", "
                + retryPolicy + ", " + poll + "]";
    }

    /** Builds a {@link TaskyardClient}; not thread-safe. {@code baseUrl} and {@code token} are required. */
    public static final class Builder
    {
        private URI baseUrl;
        private String token;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(30);
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private PollSettings poll = PollSettings.defaults();
        private Sleeper sleeper = Sleeper.system();
        private final List<Interceptor> interceptors = new ArrayList<>();

        private Builder() {}

        /** The server's base URL, e.g. {@code https://taskyard.example.com} (a path prefix is kept). */
        public Builder baseUrl(URI baseUrl)
        {
            requireNonNull(baseUrl, "baseUrl is null");
            if (!"http".equalsIgnoreCase(baseUrl.getScheme()) && !"https".equalsIgnoreCase(baseUrl.getScheme())) {
                throw new IllegalArgumentException("baseUrl must be an http or https URL: " + baseUrl);
            }
            if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
                throw new IllegalArgumentException("baseUrl must have no query or fragment: " + baseUrl);
            }
            String text = baseUrl.toString();
            this.baseUrl = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            return this;
        }

        public Builder baseUrl(String baseUrl)
        {
            return baseUrl(URI.create(requireNonNull(baseUrl, "baseUrl is null")));
        }

        /** The bearer token; never logged nor shown. */
        public Builder token(String token)
        {
            requireNonNull(token, "token is null");
            if (token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new IllegalArgumentException("the token must be visible ASCII characters");
            }
            this.token = token;
            return this;
        }

        /** How long to wait for a connection (default 10 s). */
        public Builder connectTimeout(Duration timeout)
        {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /** How long to wait for an answer, per attempt (default 30 s; long polls add their wait). */
        public Builder requestTimeout(Duration timeout)
        {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        public Builder retryPolicy(RetryPolicy retryPolicy)
        {
            this.retryPolicy = requireNonNull(retryPolicy, "retryPolicy is null");
            return this;
        }

        public Builder pollSettings(PollSettings poll)
        {
            this.poll = requireNonNull(poll, "poll is null");
            return this;
        }

        /** The time source of polling and log resumption (the retry policy has its own). */
        public Builder sleeper(Sleeper sleeper)
        {
            this.sleeper = requireNonNull(sleeper, "sleeper is null");
            return this;
        }

        /** Adds an application interceptor; they run in the order added, before the retry policy. */
        public Builder addInterceptor(Interceptor interceptor)
        {
            interceptors.add(requireNonNull(interceptor, "interceptor is null"));
            return this;
        }

        public TaskyardClient build()
        {
            return new TaskyardClient(this);
        }

        private static Duration positive(Duration duration, String name)
        {
            requireNonNull(duration, name + " is null");
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return duration;
        }

        @Override
        public String toString()
        {
            return "TaskyardClient.Builder[baseUrl=" + baseUrl + ", token="
                    + (token == null ? "unset" : "<redacted>") + "]";
        }
    }
}
