package dev.taskyard.server.internal.http;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RoutesTest
{
    private static final Routes.Handler NONE = (exchange, parameters) -> {};

    @Test
    void aPathWithoutParametersFindsItsRoute()
    {
        Routes routes = new Routes()
                .add("GET", "/v1/tasks/{task_id}", NONE)
                .add("POST", "/v1/tasks", NONE)
                .add("GET", "/v1/tasks", NONE)
                .add("GET", "/v1/openapi.json", NONE);
        Routes.Match match = routes.match("/v1/tasks").orElseThrow();
        assertThat(match.template()).isEqualTo("/v1/tasks");
        assertThat(match.methods()).containsOnlyKeys("POST", "GET");
        assertThat(match.parameters()).isEmpty();
        assertThat(routes.match("/v1/tasks/abc").orElseThrow().parameters()).containsExactly("abc");
        // the template is a pattern: as before, its dot matches any character
        assertThat(routes.match("/v1/openapi.json").orElseThrow().template()).isEqualTo("/v1/openapi.json");
        assertThat(routes.match("/v1/openapiXjson").orElseThrow().template()).isEqualTo("/v1/openapi.json");
        assertThat(routes.match("/v1/task")).isEmpty();
        assertThat(routes.match("/v1/tasks/")).isEmpty();
    }

    @Test
    void anEarlierRouteThatMatchesALiteralPathStillWins()
    {
        Routes routes = new Routes()
                .add("GET", "/v1/tasks/{task_id}", NONE)
                .add("GET", "/v1/tasks/stats", NONE);
        Routes.Match match = routes.match("/v1/tasks/stats").orElseThrow();
        assertThat(match.template()).isEqualTo("/v1/tasks/{task_id}");
        assertThat(match.parameters()).containsExactly("stats");
    }

    @Test
    void matchesFromManyThreadsAtOnce()
            throws Exception
    {
        Routes routes = ApiServerTestRoutes.like();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> checks = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                checks.add(pool.submit(() -> {
                    for (int round = 0; round < 2_000; round++) {
                        if (!routes.match("/v1/tasks").orElseThrow().template().equals("/v1/tasks")
                                || !routes.match("/v1/tasks/x%2Fy/log").orElseThrow().parameters()
                                .equals(List.of("x%2Fy"))) {
                            return false;
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

    /** A route table shaped like the API's. */
    private static final class ApiServerTestRoutes
    {
        static Routes like()
        {
            return new Routes()
                    .add("GET", "/healthz", NONE)
                    .add("GET", "/metrics", NONE)
                    .add("POST", "/v1/tasks", NONE)
                    .add("GET", "/v1/tasks", NONE)
                    .add("GET", "/v1/tasks/{task_id}", NONE)
                    .add("GET", "/v1/tasks/{task_id}/log", NONE)
                    .add("GET", "/v1/tasks/{task_id}/artifacts/{name+}", NONE);
        }
    }
}
