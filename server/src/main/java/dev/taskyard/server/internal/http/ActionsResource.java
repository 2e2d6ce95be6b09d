package dev.taskyard.server.internal.http;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * {@code /v1/actions}: {@code GET} lists the configured {@link Actions}; {@code POST /v1/actions/{action}} runs one.
 *
 * <p>Run: an unknown action is a 404 problem (the body is not read). The body must be JSON valid against the action's
 * input schema, else a 400 problem listing every violation as {@code {path, message}} and nothing is stored. The
 * task payload is then built by {@link Action#payload(JsonNode)} and submitted exactly as {@code POST /v1/tasks}
 * does (merged payload schema, Idempotency-Key, queue limit, 202 + {@code Location: /v1/tasks/{task_id}}).
 */
public final class ActionsResource
{
    private final Actions actions;
    private final TasksResource tasks;

    public ActionsResource(Actions actions, TasksResource tasks)
    {
        this.actions = requireNonNull(actions, "actions is null");
        this.tasks = requireNonNull(tasks, "tasks is null");
    }

    public void list(Exchange exchange, List<String> parameters)
    {
        exchange.sendJson(200, actions.view(), Map.of());
    }

    public void run(Exchange exchange, List<String> parameters)
    {
        String name = parameters.get(0);
        Action action = actions.get(name)
                .orElseThrow(() -> ApiProblem.notFound("no action named " + name + "; GET /v1/actions lists them"));
        tasks.submitWith(exchange, body -> build(action, body));
    }

    private static ObjectNode build(Action action, JsonNode body)
    {
        if (body.isMissingNode()) {
            throw new ApiProblem(400, "malformed-json", "Bad Request",
                    "the body is empty; it must be the action's input as JSON",
                    List.of(new ApiProblem.FieldError("$", "must be a JSON value")), Map.of());
        }
        List<Violation> violations = action.validate(body);
        if (!violations.isEmpty()) {
            throw new ApiProblem(400, "invalid-input", "Bad Request",
                    violations.size() + " violation(s) of the input schema of action " + action.name()
                            + "; nothing was enqueued",
                    violations.stream().map(v -> new ApiProblem.FieldError(v.path(), v.message())).toList(), Map.of());
        }
        return action.payload(body);
    }
}
