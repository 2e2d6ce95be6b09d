package dev.taskyard.server.internal.http;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStore;
import org.eclipse.jetty.server.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * {@code /v1/tasks/{task_id}}: {@code GET} the status monitor, {@code DELETE} forgets a finished task, and
 * {@code POST …/cancel} requests cancellation.
 *
 * <p>{@code GET} answers 200 with an {@code ETag} (the record version), and {@code Retry-After} while the task has not
 * ended; {@code If-None-Match} with the current ETag gives 304. {@code ?wait=S} (0 to {@link #MAX_WAIT_SECONDS})
 * long-polls: the answer comes when the task's state changes (from the {@code If-None-Match} version if given, else
 * from the current one) or after S seconds, from the {@link ChangeWatcher}; no server thread waits. Status monitors
 * of unchanged tasks are answered from {@link StatusViews}.
 */
public final class TaskResource
{
    private static final Logger LOG = LoggerFactory.getLogger(TaskResource.class);
    public static final int MAX_WAIT_SECONDS = 60;

    /** How many tasks' status monitors are kept serialized. */
    static final int CACHED_VIEWS = 10_000;

    private final TaskStore store;
    private final ChangeWatcher watcher;
    private final StatusViews views;

    public TaskResource(TaskStore store, ChangeWatcher watcher)
    {
        this.store = requireNonNull(store, "store is null");
        this.watcher = requireNonNull(watcher, "watcher is null");
        this.views = new StatusViews(store, CACHED_VIEWS);
    }


    /** The task, or the 404 problem. Ids that no task can have are unknown too. */
    static TaskRecord find(TaskStore store, String taskId)
            throws Exception
    {
        if (!ArtifactStore.ID.matcher(taskId).matches()) {
            throw ApiProblem.notFound("no task " + taskId);
        }
        return store.get(taskId).orElseThrow(() -> ApiProblem.notFound("no task " + taskId));
    }

    public void get(Exchange exchange, List<String> parameters)
            throws Exception
    {
        String taskId = parameters.get(0);
        String waitText = Request.extractQueryParameters(exchange.request()).getValue("wait");
        int wait = 0;
        if (waitText != null) {
            try {
                wait = Integer.parseInt(waitText.endsWith("s")
                        ? waitText.substring(0, waitText.length() - 1) : waitText);
            }
            catch (NumberFormatException e) {
                wait = -1;
            }
            if (wait < 0 || wait > MAX_WAIT_SECONDS) {
                throw TasksResource.invalidQuery("wait",
                        "must be a whole number of seconds from 0 to " + MAX_WAIT_SECONDS);
            }
        }
        if (!ArtifactStore.ID.matcher(taskId).matches()) {
            throw ApiProblem.notFound("no task " + taskId);
        }
        StatusViews.View view = views.get(taskId).orElseThrow(() -> ApiProblem.notFound("no task " + taskId));
        TaskRecord task = view.task();
        String ifNoneMatch = exchange.header("If-None-Match");
        boolean matches = ifNoneMatch != null && etagMatches(ifNoneMatch, view.etag());
        if (wait > 0 && (matches || (ifNoneMatch == null && !task.status().isTerminal()))) {
            boolean conditional = ifNoneMatch != null;
            String known = TaskViews.etag(task);
            watcher.await(taskId, task.version(), Duration.ofSeconds(wait)).whenComplete((current, failure) -> {
                try {
                    if (failure != null || current.isEmpty()) {
                        exchange.sendProblem(ApiProblem.notFound("no task " + taskId));
                        return;
                    }
                    answer(exchange, StatusViews.of(current.get()),
                            conditional && TaskViews.etag(current.get()).equals(known));
                }
                catch (RuntimeException e) {
                    LOG.error("answering a long poll of task {} failed", taskId, e);
                    exchange.sendProblem(ApiProblem.of(500, "internal-error", "Internal Server Error",
                            "the server failed; see its log"));
                }
            });
            return;
        }
        answer(exchange, view, matches);
    }

    private static boolean etagMatches(String header, String etag)
    {
        for (String candidate : header.split(",")) {
            String trimmed = candidate.trim();
            if (trimmed.equals("*") || trimmed.equals(etag) || trimmed.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    private static void answer(Exchange exchange, StatusViews.View view, boolean notModified)
    {
        TaskRecord task = view.task();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("ETag", view.etag());
        headers.put("Cache-Control", "no-cache");
        if (!task.status().isTerminal()) {
            headers.put("Retry-After", Integer.toString(TaskViews.RETRY_AFTER_SECONDS));
        }
        if (notModified) {
            exchange.sendEmpty(304, headers);
        }
        else {
            exchange.send(200, Exchange.JSON, view.json(), headers);
        }
    }

    public void cancel(Exchange exchange, List<String> parameters)
            throws Exception
    {
        String taskId = parameters.get(0);
        find(store, taskId);
        Optional<TaskRecord> task = store.cancel(taskId, "canceled through the API");
        TaskRecord record = task.orElseThrow(() -> ApiProblem.notFound("no task " + taskId));
        LOG.info("task {} cancel requested; now {}", taskId, record.status());
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", "/v1/tasks/" + taskId);
        if (!record.status().isTerminal()) {
            headers.put("Retry-After", Integer.toString(TaskViews.RETRY_AFTER_SECONDS));
        }
        exchange.send(202, Exchange.JSON, TaskViews.bytes(record), headers);
    }

    public void delete(Exchange exchange, List<String> parameters)
            throws Exception
    {
        String taskId = parameters.get(0);
        TaskRecord task = find(store, taskId);
        if (!task.status().isTerminal()) {
            throw ApiProblem.of(409, "task-not-finished", "Conflict", "task " + taskId + " is " + task.status()
                    + "; cancel it and wait until it has ended before deleting it");
        }
        try {
            if (!store.delete(taskId)) {
                throw ApiProblem.notFound("no task " + taskId);
            }
        }
        catch (IllegalStateException e) {
            throw ApiProblem.of(409, "task-not-finished", "Conflict", e.getMessage());
        }
        LOG.info("task {} deleted", taskId);
        exchange.sendEmpty(204, Map.of());
    }
}
