package dev.taskyard.server.internal.http;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.store.TaskError;
import dev.taskyard.store.TaskRecord;
import dev.taskyard.store.TaskStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TaskViewsTest
{
    private static final Instant CREATED = Instant.parse("2026-12-07T14:00:00.123Z");

    @Test
    void theBytesAreTheTreeSerializedByteForByte()
            throws Exception
    {
        for (TaskRecord task : shapes()) {
            assertThat(new String(TaskViews.bytes(task), "UTF-8"))
                    .as(task.toString())
                    .isEqualTo(new String(Json.bytes(tree(task)), "UTF-8"));
            JsonNode view = Json.MAPPER.readTree(TaskViews.bytes(task));
            assertThat(view.get("created_at").asText()).isEqualTo(task.createdAt().toString());
            assertThat(view.get("started_at").isNull() ? null : view.get("started_at").asText())
                    .isEqualTo(task.startedAt().map(Instant::toString).orElse(null));
            assertThat(view.get("completed_at").isNull() ? null : view.get("completed_at").asText())
                    .isEqualTo(task.completedAt().map(Instant::toString).orElse(null));
        }
    }

    @Test
    void aPageIsTheListOfViewsWithTheToken()
            throws Exception
    {
        List<TaskRecord> tasks = shapes();
        for (Optional<String> token : List.of(Optional.<String>empty(), Optional.of("tok\"en/1"))) {
            for (List<TaskRecord> page : List.of(List.<TaskRecord>of(), tasks.subList(0, 1), tasks)) {
                ObjectNode body = Json.MAPPER.createObjectNode();
                ArrayNode array = body.putArray("tasks");
                page.forEach(t -> array.add(tree(t)));
                body.put("next_page_token", token.orElse(null));
                assertThat(new String(TaskViews.page(page, token), "UTF-8"))
                        .isEqualTo(new String(Json.bytes(body), "UTF-8"));
            }
        }
    }

    @Test
    void writesFromManyThreadsAtOnce()
            throws Exception
    {
        List<TaskRecord> tasks = shapes();
        List<byte[]> expected = tasks.stream().map(t -> Json.bytes(tree(t))).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> checks = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                checks.add(pool.submit(() -> {
                    for (int round = 0; round < 200; round++) {
                        for (int t = 0; t < tasks.size(); t++) {
                            if (!java.util.Arrays.equals(TaskViews.bytes(tasks.get(t)), expected.get(t))) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> check : checks) {
                assertThat(check.get()).isTrue();
            }
        }
        finally {
            pool.shutdownNow();
        }
    }

    /**
     * The status monitor as the server built it before {@link TaskViews#bytes} (a Jackson tree): the reference the
     * bytes must equal.
     */
    private static ObjectNode tree(TaskRecord task)
    {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("task_id", task.taskId());
        node.put("status", task.status().name());
        node.put("progress_percent", task.progressPercent());
        node.put("created_at", InstantText.of(task.createdAt()));
        node.put("started_at", task.startedAt().map(InstantText::of).orElse(null));
        node.put("completed_at", task.completedAt().map(InstantText::of).orElse(null));
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

    private static List<TaskRecord> shapes()
            throws Exception
    {
        JsonNode payload = Json.MAPPER.readTree("{\"command\":[\"true\"]}");
        JsonNode result = Json.MAPPER.readTree(
                "{\"n\":1.5e3,\"big\":123456789012345678901234567890,\"s\":\"é \\\"q\\\" \\u0001 \\ud83d\\ude00\","
                + "\"a\":[null,true,{\"x\":[]}],\"e\":{}}");
        return List.of(
                new TaskRecord("01PENDING", TaskStatus.PENDING, payload, 0, CREATED, Optional.empty(),
                        Optional.empty(), 0, OptionalInt.empty(), Optional.empty(), Optional.empty(), 1),
                new TaskRecord("01RUNNING", TaskStatus.RUNNING, payload, 42, CREATED,
                        Optional.of(CREATED.plusMillis(5)), Optional.empty(), 2, OptionalInt.empty(),
                        Optional.empty(), Optional.empty(), 7),
                new TaskRecord("01DONE", TaskStatus.COMPLETED, payload, 100, CREATED,
                        Optional.of(CREATED.plusSeconds(1)), Optional.of(CREATED.plusSeconds(2)), 1,
                        OptionalInt.of(0), Optional.of(result), Optional.empty(), 9),
                new TaskRecord("01NULLRESULT", TaskStatus.COMPLETED, payload, 100, CREATED,
                        Optional.of(CREATED), Optional.of(CREATED), 1, OptionalInt.empty(),
                        Optional.of(Json.MAPPER.nullNode()), Optional.empty(), 3),
                new TaskRecord("01FAILED", TaskStatus.FAILED, payload, 7, CREATED,
                        Optional.of(CREATED), Optional.of(CREATED.plusNanos(1)), 3, OptionalInt.of(-9),
                        Optional.of(Json.MAPPER.readTree("[1,\"two\"]")),
                        Optional.of(new TaskError("failed", "The task failed", "attempt 3: exit \"code\" 137\n")), 12),
                new TaskRecord("a%2Fb id", TaskStatus.CANCELED, payload, 0, CREATED, Optional.empty(),
                        Optional.of(CREATED), 0, OptionalInt.empty(), Optional.empty(),
                        Optional.of(new TaskError("canceled", "", "")), 2));
    }
}
