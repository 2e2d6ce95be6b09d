package dev.taskyard.client;

import java.time.Duration;

import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;

/** Shared builders of the client tests. */
final class Fixtures
{
    static final String TOKEN = "s3cr3t-token";

    private Fixtures() {}

    /** The default policy, without jitter, sleeping on {@code sleeper}. */
    static RetryPolicy policy(FakeSleeper sleeper)
    {
        return RetryPolicy.builder().random(() -> 0.0).sleeper(sleeper).build();
    }

    static TaskyardClient.Builder client(MockServer server, FakeSleeper sleeper)
    {
        return TaskyardClient.builder()
                .baseUrl(server.url())
                .token(TOKEN)
                .requestTimeout(Duration.ofSeconds(10))
                .retryPolicy(policy(sleeper))
                .sleeper(sleeper);
    }

    static String task(String id, String status)
    {
        return "{\"task_id\":\"" + id + "\",\"status\":\"" + status
                + "\",\"progress_percent\":0,\"created_at\":\"2026-01-01T00:00:00Z\","
                + "\"started_at\":null,\"completed_at\":null,\"attempt\":1,\"links\":{\"self\":\"/v1/tasks/" + id
                        + "\"}}";
    }

    static MockResponse taskResponse(String id, String status)
    {
        return MockResponse.json(200, task(id, status));
    }

    static Duration ms(long millis)
    {
        return Duration.ofMillis(millis);
    }
}
