package dev.taskyard.server.internal.http;

import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStore;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /v1/tasks/{task_id}/artifacts} lists the artifacts of the task's latest run (name, size, error, link);
 * {@code GET /v1/tasks/{task_id}/artifacts/{name}} streams one. Unknown tasks, invalid names, missing and error
 * artifacts are 404 problems.
 */
public final class ArtifactsResource
{
    private final TaskStore store;
    private final Streamer streamer;

    public ArtifactsResource(TaskStore store, Streamer streamer)
    {
        this.store = requireNonNull(store, "store is null");
        this.streamer = requireNonNull(streamer, "streamer is null");
    }

    public void list(Exchange exchange, List<String> parameters)
            throws Exception
    {
        TaskRecord task = TaskResource.find(store, parameters.get(0));
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("task_id", task.taskId());
        body.put("attempt", task.attempt());
        ArrayNode list = body.putArray("artifacts");
        for (Artifact artifact : store.list(task.taskId(), Integer.toString(task.attempt()))) {
            ObjectNode node = list.addObject();
            node.put("name", artifact.name());
            node.put("size", artifact.size());
            artifact.error().ifPresentOrElse(
                    error -> node.putObject("error").put("reason", error.reason()).put("message", error.message()),
                    () -> node.put("link", "/v1/tasks/" + task.taskId() + "/artifacts/" + artifact.name()));
        }
        exchange.sendJson(200, body, Map.of());
    }

    public void download(Exchange exchange, List<String> parameters)
            throws Exception
    {
        TaskRecord task = TaskResource.find(store, parameters.get(0));
        String name = parameters.get(1);
        if (!ArtifactStore.isValidName(name)) {
            throw ApiProblem.notFound("no artifact " + name + " in task " + task.taskId());
        }
        String runId = Integer.toString(task.attempt());
        String type = name.endsWith(".log") || name.endsWith(".txt") ? "text/plain; charset=utf-8"
                : name.endsWith(".json") ? "application/json" : "application/octet-stream";
        streamer.stream(exchange, 200, type, Map.of(), () -> {
            try {
                return store.open(task.taskId(), runId, name);
            }
            catch (NoSuchFileException e) {
                throw ApiProblem.notFound("no artifact " + name + " in task " + task.taskId());
            }
        });
    }
}
