package dev.taskyard.server.internal.http;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.store.IdempotencyConflictException;
import dev.taskyard.store.QueueFullException;
import dev.taskyard.store.Submission;
import dev.taskyard.store.SubmitRequest;
import dev.taskyard.store.TaskPage;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.TaskStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * {@code /v1/tasks}: {@code POST} submits a task (the body is the task payload), {@code GET} lists tasks.
 *
 * <p>Submit: the body must be {@code application/json}, at most {@code maxBodyBytes}, one JSON object valid against
 * the worker's merged payload schema; every violation is listed with its JSON path in a 400 problem and nothing is
 * stored. Accepted: {@code 202}, {@code Location: /v1/tasks/{task_id}}, the status monitor. With an
 * {@code Idempotency-Key}, the same key and body return the same task (202 again); another body is a 422 problem.
 * A full queue is a 429 problem with {@code Retry-After}. The body is read asynchronously.
 */
public final class TasksResource
{
    private static final Logger LOG = LoggerFactory.getLogger(TasksResource.class);
    private static final Pattern JSON_MEDIA_TYPE = Pattern.compile("application/json(;.*)?");
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,255}");
    private static final ObjectReader STRICT =
            Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final HttpField RETRY_AFTER =
            new PreEncodedHttpField(HttpHeader.RETRY_AFTER, TaskViews.RETRY_AFTER_SECONDS);
    public static final int MAX_PAGE_SIZE = 100;
    /** The counter of accepted tasks. */
    public static final String SUBMITTED = "taskyard.tasks.submitted";

    private final TaskStore store;
    private final JsonSchema payloadSchema;
    private final int maxBodyBytes;
    private final Counter submitted;
    private final byte[] schemaBytes;

    public TasksResource(TaskStore store, JsonSchema payloadSchema, int maxBodyBytes, MeterRegistry meters)
    {
        this.store = requireNonNull(store, "store is null");
        this.payloadSchema = requireNonNull(payloadSchema, "payloadSchema is null");
        this.maxBodyBytes = maxBodyBytes;
        this.submitted = Counter.builder(SUBMITTED).description("tasks accepted by the API").register(meters);
        this.schemaBytes = Json.bytes(payloadSchema.document());
    }

    /**
     * Turns the parsed request body into the task payload to validate and store; throws an {@link ApiProblem} for a
     * body it refuses (nothing is stored then).
     */
    @FunctionalInterface
    interface PayloadBuilder
    {
        ObjectNode build(JsonNode body);
    }

    public void submit(Exchange exchange, List<String> parameters)
    {
        submitWith(exchange, TasksResource::payloadObject);
    }

    private static ObjectNode payloadObject(JsonNode payload)
    {
        if (payload == null || payload.isMissingNode() || !payload.isObject()) {
            throw new ApiProblem(400, "invalid-payload", "Bad Request", "the task payload must be a JSON object",
                    List.of(new ApiProblem.FieldError("$", "must be an object")), Map.of());
        }
        return (ObjectNode) payload;
    }

    /**
     * Submits the payload that {@code builder} makes of the body, with every check and answer of {@code POST /v1/tasks}
     * (media type, size, JSON, payload schema, Idempotency-Key, queue limit, 202 + Location).
     */
    void submitWith(Exchange exchange, PayloadBuilder builder)
    {
        requireNonNull(builder, "builder is null");
        String contentType = exchange.header("Content-Type");
        if (contentType == null || !contentType.equals(Exchange.JSON)
                && !JSON_MEDIA_TYPE.matcher(contentType.toLowerCase(Locale.ROOT).replace(" ", "")).matches()) {
            throw ApiProblem.of(415, "unsupported-media-type", "Unsupported Media Type",
                    "the task payload must be sent as Content-Type: application/json")
                    .withHeader("Accept-Post", "application/json");
        }
        long length = exchange.request().getLength();
        if (length > maxBodyBytes) {
            if (length > 16L * maxBodyBytes) {
                throw tooLarge();
            }
            // read and drop a moderately oversized body first, so that the client (still sending) reads the answer
            Content.Source.consumeAll(exchange.request(), org.eclipse.jetty.util.Callback.from(
                    () -> exchange.sendProblem(tooLarge()), failure -> exchange.sendProblem(tooLarge())));
            return;
        }
        Optional<String> key = Optional.ofNullable(exchange.header("Idempotency-Key"));
        if (key.isPresent() && !IDEMPOTENCY_KEY.matcher(key.get()).matches()) {
            throw ApiProblem.badRequest("invalid-idempotency-key",
                    "the Idempotency-Key must be 1 to 255 visible ASCII characters");
        }
        Content.Source.asByteArrayAsync(exchange.request(), maxBodyBytes).whenComplete((body, failure) -> {
            try {
                if (failure != null) {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    if (cause instanceof IllegalArgumentException
                            || String.valueOf(cause.getMessage()).matches("(?i).*(too large|max size).*")) {
                        throw tooLarge();
                    }
                    throw ApiProblem.badRequest("unreadable-body",
                            "the request body could not be read: " + cause.getMessage());
                }
                accept(exchange, body, key, builder);
            }
            catch (ApiProblem problem) {
                exchange.sendProblem(problem);
            }
            catch (Exception | Error e) {
                LOG.error("submitting a task failed", e);
                exchange.sendProblem(ApiProblem.of(500, "internal-error", "Internal Server Error",
                        "the server failed; see its log"));
            }
        });
    }

    private ApiProblem tooLarge()
    {
        return ApiProblem.of(413, "payload-too-large", "Content Too Large",
                "the task payload is larger than the limit of " + maxBodyBytes + " bytes")
                .withHeader("Connection", "close");
    }

    private void accept(Exchange exchange, byte[] body, Optional<String> key, PayloadBuilder builder)
            throws Exception
    {
        JsonNode parsed;
        try {
            parsed = STRICT.readTree(body);
        }
        catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ": ";
            throw new ApiProblem(400, "malformed-json", "Bad Request",
                    "the body is not valid JSON (UTF-8): " + e.getOriginalMessage(),
                    List.of(new ApiProblem.FieldError("$", where + e.getOriginalMessage())), Map.of());
        }
        catch (java.io.IOException | RuntimeException e) {
            throw new ApiProblem(400, "malformed-json", "Bad Request", "the body is not valid JSON (UTF-8)",
                    List.of(new ApiProblem.FieldError("$", String.valueOf(e.getMessage()))), Map.of());
        }
        ObjectNode payload = builder.build(parsed == null ? MissingNode.getInstance() : parsed);
        List<Violation> violations = payloadSchema.validate(payload);
        if (!violations.isEmpty()) {
            throw new ApiProblem(400, "invalid-payload", "Bad Request",
                    violations.size() + " violation(s) of the payload schema; nothing was enqueued",
                    violations.stream().map(v -> new ApiProblem.FieldError(v.path(), v.message())).toList(), Map.of());
        }
        Submission submission;
        try {
            submission = store.submit(new SubmitRequest(payload, key, Optional.empty()));
        }
        catch (IdempotencyConflictException e) {
            throw ApiProblem.of(422, "idempotency-key-reused", "Unprocessable Content", e.getMessage());
        }
        catch (QueueFullException e) {
            throw ApiProblem.of(429, "queue-full", "Too Many Requests", e.getMessage()).withHeader("Retry-After", "5");
        }
        if (submission.created()) {
            submitted.increment();
            LOG.info("task {} submitted", submission.task().taskId());
        }
        String location = "/v1/tasks/" + submission.task().taskId();
        exchange.sendJson(202, TaskViews.bytes(submission.task()), new HttpField(HttpHeader.LOCATION, location),
                RETRY_AFTER, new HttpField(HttpHeader.ETAG, TaskViews.etag(submission.task())));
    }

    /** {@code GET /v1/schemas/payload}: the merged payload schema submissions are validated against. */
    public void payloadSchema(Exchange exchange, List<String> parameters)
    {
        exchange.send(200, "application/schema+json", schemaBytes, Map.of("Cache-Control", "no-cache"));
    }

    public void list(Exchange exchange, List<String> parameters)
            throws Exception
    {
        Fields query = Request.extractQueryParameters(exchange.request());
        Optional<TaskStatus> status = Optional.empty();
        String statusText = query.getValue("status");
        if (statusText != null && !statusText.isEmpty()) {
            try {
                status = Optional.of(TaskStatus.valueOf(statusText.toUpperCase()));
            }
            catch (IllegalArgumentException e) {
                throw invalidQuery("status", "must be one of PENDING, RUNNING, COMPLETED, FAILED, CANCELED");
            }
        }
        int pageSize = 20;
        String sizeText = query.getValue("page_size");
        if (sizeText != null) {
            try {
                pageSize = Integer.parseInt(sizeText);
            }
            catch (NumberFormatException e) {
                pageSize = -1;
            }
            if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
                throw invalidQuery("page_size", "must be an integer from 1 to " + MAX_PAGE_SIZE);
            }
        }
        String token = query.getValue("page_token");
        TaskPage page;
        try {
            page = store.list(status, pageSize, Optional.ofNullable(token).filter(t -> !t.isEmpty()));
        }
        catch (IllegalArgumentException e) {
            throw invalidQuery("page_token", "is not a page token of this server");
        }
        exchange.sendJson(200, TaskViews.page(page.tasks(), page.nextPageToken()));
    }

    static ApiProblem invalidQuery(String parameter, String message)
    {
        return new ApiProblem(400, "invalid-query", "Bad Request", "query parameter " + parameter + " " + message,
                List.of(new ApiProblem.FieldError("query." + parameter, message)), Map.of());
    }
}
