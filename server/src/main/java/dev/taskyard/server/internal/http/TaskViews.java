package dev.taskyard.server.internal.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.taskyard.store.TaskError;
import dev.taskyard.store.TaskRecord;

/**
 * The JSON status monitor of a task, as {@code GET /v1/tasks/{task_id}} returns it, written straight to bytes with
 * a generator (no tree is built first: the submit answers one per task). Stateless; thread-safe.
 */
public final class TaskViews
{
    /** Seconds clients are asked to wait between polls of a task that has not ended. */
    public static final int RETRY_AFTER_SECONDS = 1;

    private TaskViews() {}

    /** The task's status monitor as UTF-8 JSON bytes. */
    public static byte[] bytes(TaskRecord task)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream(384);
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out)) {
            write(json, task);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write a task view", e);
        }
        return out.toByteArray();
    }

    /**
     * The UTF-8 bytes of a page of {@code GET /v1/tasks}: {@code {"tasks": [views…], "next_page_token": token or
     * null}}.
     */
    public static byte[] page(List<TaskRecord> tasks, Optional<String> nextPageToken)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + 384 * tasks.size());
        try (JsonGenerator json = Json.MAPPER.getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeArrayFieldStart("tasks");
            for (TaskRecord task : tasks) {
                write(json, task);
            }
            json.writeEndArray();
            json.writeStringField("next_page_token", nextPageToken.orElse(null));
            json.writeEndObject();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write a page of tasks", e);
        }
        return out.toByteArray();
    }

    /** Writes the task's status monitor as the next value of {@code json}. */
    static void write(JsonGenerator json, TaskRecord task)
            throws IOException
    {
        json.writeStartObject();
        json.writeStringField("task_id", task.taskId());
        json.writeStringField("status", task.status().name());
        json.writeNumberField("progress_percent", task.progressPercent());
        json.writeStringField("created_at", InstantText.of(task.createdAt()));
        json.writeStringField("started_at", task.startedAt().map(InstantText::of).orElse(null));
        json.writeStringField("completed_at", task.completedAt().map(InstantText::of).orElse(null));
        json.writeNumberField("attempt", task.attempt());
        if (task.exitCode().isPresent()) {
            json.writeNumberField("exit_code", task.exitCode().getAsInt());
        }
        if (task.result().isPresent()) {
            json.writeFieldName("result");
            Json.MAPPER.writeTree(json, task.result().get());
        }
        if (task.error().isPresent()) {
            TaskError error = task.error().get();
            json.writeObjectFieldStart("error");
            json.writeStringField("type", Json.PROBLEM_TYPE_BASE + error.reason());
            json.writeStringField("title", error.title());
            json.writeStringField("detail", error.detail());
            json.writeStringField("reason", error.reason());
            json.writeEndObject();
        }
        String self = "/v1/tasks/" + task.taskId();
        json.writeObjectFieldStart("links");
        json.writeStringField("self", self);
        json.writeStringField("log", self + "/log");
        json.writeStringField("artifacts", self + "/artifacts");
        json.writeStringField("cancel", self + "/cancel");
        json.writeEndObject();
        json.writeEndObject();
    }

    /** The strong ETag of a task's state. */
    public static String etag(TaskRecord task)
    {
        return "\"" + task.taskId() + "-v" + task.version() + "\"";
    }
}
