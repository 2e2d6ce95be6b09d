package dev.taskyard.server.internal.http;

import java.util.List;
import java.util.Map;

import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStore;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /v1/tasks/{task_id}/payload}: the task's payload as it was accepted (after validation), for clients that
 * show a task in full, such as the web console. Unknown tasks are 404 problems. Thread-safe (stateless).
 */
public final class PayloadResource
{
    private final TaskStore store;

    public PayloadResource(TaskStore store)
    {
        this.store = requireNonNull(store, "store is null");
    }

    public void get(Exchange exchange, List<String> parameters)
            throws Exception
    {
        TaskRecord task = TaskResource.find(store, parameters.get(0));
        exchange.sendJson(200, task.payload(), Map.of("Cache-Control", "no-store"));
    }
}
