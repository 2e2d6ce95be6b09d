package dev.taskyard.server.internal.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.store.TaskRecord;

/** The JSON status monitor of a task, as {@code GET /v1/tasks/{task_id}} returns it. */
public final class TaskViews
{
    /** Seconds clients are asked to wait between polls of a task that has not ended. */
    public static final int RETRY_AFTER_SECONDS = 1;

    private TaskViews() {}

    public static ObjectNode of(TaskRecord task)
    {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("task_id", task.taskId());
        node.put("status", task.status().name());
        node.put("progress_percent", task.progressPercent());
        node.put("created_at", task.createdAt().toString());
        node.put("started_at", task.startedAt().map(Object::toString).orElse(null));
        node.put("completed_at", task.completedAt().map(Object::toString).orElse(null));
        node.put("attempt", task.attempt());
        if (task.exitCode().isPresent()) {
            node.put("exit_code", task.exitCode().getAsInt());
        }
        task.result().ifPresent(result -> node.set("result", result));
        task.error().ifPresent(error -> {
            ObjectNode problem = node.putObject("error");
            problem.put("type", Json.PROBLEM_TYPE_BASE + error.reason());
            problem.put("title", error.title());
            problem.put("detail", error.detail());
            problem.put("reason", error.reason());
        });
        String self = "/v1/tasks/" + task.taskId();
        ObjectNode links = node.putObject("links");
        links.put("self", self);
        links.put("log", self + "/log");
        links.put("artifacts", self + "/artifacts");
        links.put("cancel", self + "/cancel");
        return node;
    }

    /** The strong ETag of a task's state. */
    public static String etag(TaskRecord task)
    {
        return "\"" + task.taskId() + "-v" + task.version() + "\"";
    }
}
