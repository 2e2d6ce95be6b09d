package dev.taskyard.client.internal;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.client.Artifact;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskError;
import dev.taskyard.client.TaskPage;
import dev.taskyard.client.TaskStatus;

/** The JSON documents of the API, read leniently: unknown members are ignored, absent optional ones are empty. */
public final class Json
{
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static JsonNode read(byte[] body)
            throws IOException
    {
        JsonNode node = MAPPER.readTree(body);
        if (node == null || !node.isObject()) {
            throw new IOException("expected a JSON object, got " + (node == null ? "nothing" : node.getNodeType()));
        }
        return node;
    }

    public static byte[] bytes(JsonNode node)
    {
        try {
            return MAPPER.writeValueAsBytes(node);
        }
        catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** A task's status monitor, with the ETag and Retry-After of its answer. */
    public static Task task(JsonNode node, Optional<String> etag, Optional<Duration> retryAfter)
            throws IOException
    {
        String taskId = text(node, "task_id").orElseThrow(() -> new IOException("the task has no task_id"));
        String statusText = text(node, "status")
                .orElseThrow(() -> new IOException("task " + taskId + " has no status"));
        TaskStatus status;
        try {
            status = TaskStatus.valueOf(statusText);
        }
        catch (IllegalArgumentException e) {
            throw new IOException("task " + taskId + " has the unknown status " + statusText, e);
        }
        Optional<TaskError> error = Optional.ofNullable(node.get("error")).filter(JsonNode::isObject)
                .map(e -> new TaskError(
                text(e, "type").orElse("about:blank"), text(e, "title").orElse(""), text(e, "detail").orElse(""),
                text(e, "reason").orElse("")));
        Map<String, String> links = new LinkedHashMap<>();
        JsonNode linksNode = node.path("links");
        linksNode.fieldNames().forEachRemaining(name -> {
            if (linksNode.get(name).isTextual()) {
                links.put(name, linksNode.get(name).asText());
            }
        });
        JsonNode result = node.get("result");
        return new Task(taskId, status, node.path("progress_percent").asInt(0), instant(node, "created_at"),
                instant(node, "started_at"), instant(node, "completed_at"), node.path("attempt").asInt(0),
                node.path("exit_code").isInt() ? OptionalInt.of(node.get("exit_code").asInt()) : OptionalInt.empty(),
                result == null || result.isNull() ? Optional.empty() : Optional.of(result),
                error, links, etag, retryAfter, node);
    }

    public static TaskPage page(JsonNode node)
            throws IOException
    {
        List<Task> tasks = new ArrayList<>();
        for (JsonNode task : node.path("tasks")) {
            tasks.add(task(task, Optional.empty(), Optional.empty()));
        }
        return new TaskPage(tasks, text(node, "next_page_token").filter(t -> !t.isEmpty()));
    }

    public static List<Artifact> artifacts(JsonNode node)
            throws IOException
    {
        List<Artifact> artifacts = new ArrayList<>();
        for (JsonNode artifact : node.path("artifacts")) {
            String name = text(artifact, "name").orElseThrow(() -> new IOException("an artifact has no name"));
            JsonNode size = artifact.get("size");
            JsonNode error = artifact.get("error");
            Optional<Artifact.Error> failure = Optional.empty();
            if (error != null && error.isObject()) {
                failure = Optional.of(new Artifact.Error(text(error, "reason").orElse(""),
                        text(error, "message").or(() -> text(error, "detail")).orElse("")));
            }
            else if (error != null && error.isTextual()) {
                failure = Optional.of(new Artifact.Error("", error.asText()));
            }
            artifacts.add(new Artifact(name,
                    size != null && size.canConvertToLong() ? OptionalLong.of(size.asLong()) : OptionalLong.empty(),
                    failure));
        }
        return artifacts;
    }

    static Optional<String> text(JsonNode node, String field)
    {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private static Optional<Instant> instant(JsonNode node, String field)
            throws IOException
    {
        Optional<String> text = text(node, field);
        try {
            return text.map(Instant::parse);
        }
        catch (DateTimeParseException e) {
            throw new IOException(field + " is no instant: " + text.get(), e);
        }
    }
}
