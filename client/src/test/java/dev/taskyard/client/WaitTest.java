package dev.taskyard.client;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.taskyard.client.Fixtures.task;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Waiting polls with the server's Retry-After clamped to the configured range and to the deadline. */
class WaitTest
{
    private static final PollSettings TWO_TO_FIVE =
            new PollSettings(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ZERO);

    private MockServer server;
    private FakeSleeper sleeper;
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start()
            throws IOException
    {
        server = MockServer.start();
        sleeper = new FakeSleeper();
    }

    @AfterEach
    void stop()
            throws IOException
    {
        server.close();
    }

    private void script(MockResponse... answers)
    {
        AtomicInteger next = new AtomicInteger();
        server.setDispatcher(request -> {
            requests.add(request);
            return answers[Math.min(next.getAndIncrement(), answers.length - 1)];
        });
    }

    private static MockResponse running(String retryAfter)
    {
        MockResponse response = MockResponse.json(200, task("t1", "RUNNING"));
        return retryAfter == null ? response : response.header("Retry-After", retryAfter);
    }

    @Test
    void pollsHonouringRetryAfterClampedToTheConfiguredRange()
    {
        script(running("3"), running("1"), running("30"), running(null),
                MockResponse.json(200, task("t1", "COMPLETED")));
        TaskyardClient client = Fixtures.client(server, sleeper).pollSettings(TWO_TO_FIVE).build();

        Task task = client.waitFor("t1", Duration.ofMinutes(1));

        assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(sleeper.sleeps())
                .containsExactly(Duration.ofSeconds(3), Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofSeconds(2));
        assertThat(requests).hasSize(5).allSatisfy(r -> assertThat(r.target()).isEqualTo("/v1/tasks/t1"));
    }

    @Test
    void stopsAtTheDeadline()
    {
        script(running("4"));
        TaskyardClient client = Fixtures.client(server, sleeper).pollSettings(TWO_TO_FIVE).build();

        WaitTimeoutException e =
                catchThrowableOfType(() -> client.waitFor("t1", Duration.ofSeconds(11)), WaitTimeoutException.class);

        assertThat(e.lastSeen().status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(e).hasMessageContaining("t1").hasMessageContaining("RUNNING");
        assertThat(sleeper.sleeps())
                .containsExactly(Duration.ofSeconds(4), Duration.ofSeconds(4), Duration.ofSeconds(3));
        assertThat(sleeper.slept()).isEqualTo(Duration.ofSeconds(11));
        assertThat(requests).hasSize(4);
    }

    @Test
    void aTaskThatHasEndedIsReturnedAtOnce()
    {
        script(MockResponse.json(200, task("t1", "FAILED").replace("\"links\"",
                "\"error\":{\"type\":\"https://taskyard.dev/problems/task-failed\",\"title\":\"Task "
                        + "failed\",\"detail\":\"exit 3\",\"reason\":\"task-failed\"},\"links\"")));
        TaskyardClient client = Fixtures.client(server, sleeper).build();

        Task task = client.waitFor("t1", Duration.ofSeconds(5));

        assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(task.error())
                .contains(new TaskError("https://taskyard.dev/problems/task-failed", "Task failed",
                "exit 3", "task-failed"));
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void longPollsWithWaitAndIfNoneMatchWithinTheDeadline()
    {
        script(running("1").header("ETag", "\"t1-v1\""),
                MockResponse.status(304).header("ETag", "\"t1-v1\"").header("Retry-After", "1"),
                running("1").header("ETag", "\"t1-v2\""),
                MockResponse.json(200, task("t1", "COMPLETED")).header("ETag", "\"t1-v3\""));
        TaskyardClient client = Fixtures.client(server, sleeper)
                .pollSettings(new PollSettings(Duration.ofMillis(500), Duration.ofSeconds(10),
                        Duration.ofSeconds(30))).build();

        Task task = client.waitFor("t1", Duration.ofSeconds(20));

        assertThat(task.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(task.etag()).contains("\"t1-v3\"");
        assertThat(requests).hasSize(4);
        assertThat(requests.get(0).target()).isEqualTo("/v1/tasks/t1");
        assertThat(requests.get(0).header("If-None-Match")).isEmpty();
        // the fake clock does not move while the server answers, so the 304 came "too soon": the client pauses as
        // Retry-After says
        assertThat(requests.get(1).target()).isEqualTo("/v1/tasks/t1?wait=20");
        assertThat(requests.get(1).header("If-None-Match")).contains("\"t1-v1\"");
        assertThat(requests.get(2).target()).isEqualTo("/v1/tasks/t1?wait=19");
        assertThat(requests.get(2).header("If-None-Match")).contains("\"t1-v1\"");
        // a change is polled again at once
        assertThat(requests.get(3).target()).isEqualTo("/v1/tasks/t1?wait=19");
        assertThat(requests.get(3).header("If-None-Match")).contains("\"t1-v2\"");
        assertThat(sleeper.sleeps()).containsExactly(Duration.ofSeconds(1));
    }

    @Test
    void aServerThatRejectsLongPollsIsPolledPlainly()
    {
        script(running("1").header("ETag", "\"t1-v1\""),
                MockResponse.problem(400, "invalid-query", "Bad Request", "query parameter wait is unknown"),
                running("1").header("ETag", "\"t1-v1\""),
                MockResponse.json(200, task("t1", "CANCELED")).header("ETag", "\"t1-v2\""));
        TaskyardClient client = Fixtures.client(server, sleeper).build();

        Task task = client.waitFor("t1", Duration.ofSeconds(20));

        assertThat(task.status()).isEqualTo(TaskStatus.CANCELED);
        assertThat(requests).extracting(RecordedRequest::target)
                .containsExactly("/v1/tasks/t1", "/v1/tasks/t1?wait=20", "/v1/tasks/t1", "/v1/tasks/t1");
        assertThat(sleeper.sleeps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
    }
}
