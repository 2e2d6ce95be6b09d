package dev.taskyard.engine.remote.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.client.NotFoundException;
import dev.taskyard.client.RetryPolicy;
import dev.taskyard.client.Task;
import dev.taskyard.client.TaskyardClient;
import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.SocketPolicy;
import dev.taskyard.engine.NonFatalInternalErrorException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The remote engine's call policy against a scripted server on a fake clock: the client's retry budget, then one
 * attempt per pace until the outage window ends, so the number of requests is bounded and never a product of the
 * two loops.
 */
class OutageTolerantCallsTest
{
    private static final int BUDGET = 3;
    private static final Duration WINDOW = Duration.ofSeconds(2);
    private static final String TASK =
            "{\"task_id\":\"t1\",\"status\":\"RUNNING\",\"progress_percent\":0,\"attempt\":1}";

    private MockServer server;
    private FakeSleeper sleeper;
    private OutageTolerantCalls calls;

    @BeforeEach
    void start()
            throws IOException
    {
        server = MockServer.start();
        sleeper = new FakeSleeper();
        RetryPolicy policy = RetryPolicy.builder()
                .maxAttempts(BUDGET)
                .backoff(Duration.ofMillis(100), Duration.ofMillis(400))
                .random(() -> 0.0)
                .sleeper(sleeper)
                .build();
        TaskyardClient client = TaskyardClient.builder().baseUrl(server.url()).token("t0ken").retryPolicy(policy)
                .sleeper(sleeper).build();
        calls = new OutageTolerantCalls(client, WINDOW, server.url().toString());
    }

    @AfterEach
    void stop()
            throws IOException
    {
        server.close();
    }

    @Test
    void aLastingOutageCostsTheBudgetPlusOneAttemptPerPaceNotTheirProduct()
    {
        server.setDispatcher(request -> MockResponse.status(503));

        assertThatThrownBy(() -> calls.call("reading remote task t1", client -> client.get("t1")))
                .isInstanceOf(NonFatalInternalErrorException.class)
                .hasMessageContaining("stayed unreachable for 2 s while reading remote task t1");

        // budget: 3 attempts, 0.1 s and 0.2 s apart (0.3 s); then one attempt per 0.4 s at 0.7, 1.1, 1.5, 1.9 and 2.3
        // s,
        // after which the 2 s window is over: 8 requests. Two nested loops would have sent 3 per repetition.
        assertThat(server.requestCount()).isEqualTo(BUDGET + 5);
        assertThat(sleeper.sleeps()).containsExactly(ms(100), ms(200), ms(400), ms(400), ms(400), ms(400), ms(400));
        assertThat(server.requestCount()).isLessThanOrEqualTo(BUDGET + 1 + (int) (WINDOW.toMillis() / 400));
    }

    @Test
    void transportFailuresAreBoundedTheSameWay()
    {
        server.setDispatcher(request -> MockResponse.fault(SocketPolicy.RESET_AFTER_REQUEST));

        assertThatThrownBy(() -> calls.call("reading remote task t1", client -> client.get("t1")))
                .isInstanceOf(NonFatalInternalErrorException.class);

        assertThat(server.requestCount()).isBetween(BUDGET + 5, 2 * (BUDGET + 5));
        assertThat(sleeper.sleeps()).hasSize(BUDGET - 1 + 5);
    }

    @Test
    void aCallThatHealsWithinTheWindowReturnsItsAnswer()
            throws Exception
    {
        AtomicInteger requests = new AtomicInteger();
        server.setDispatcher(request -> requests.incrementAndGet() <= BUDGET + 2 ? MockResponse.status(502)
                : MockResponse.json(200, TASK));

        Task task = calls.call("reading remote task t1", client -> client.get("t1"));

        assertThat(task.taskId()).isEqualTo("t1");
        assertThat(server.requestCount()).isEqualTo(BUDGET + 3);
        assertThat(sleeper.sleeps()).containsExactly(ms(100), ms(200), ms(400), ms(400), ms(400));
    }

    @Test
    void aFailureThatIsNotTransientIsThrownAtOnce()
    {
        server.setDispatcher(request -> MockResponse.problem(404, "not-found", "Not Found", "no task t1"));

        assertThatThrownBy(() -> calls.call("reading remote task t1", client -> client.get("t1")))
                .isInstanceOf(NotFoundException.class);

        assertThat(server.requestCount()).isEqualTo(1);
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void aStoppedCallerEndsAfterTheBudget()
    {
        server.setDispatcher(request -> MockResponse.status(503));

        assertThatThrownBy(() -> calls.call("submitting", () -> true, client -> client.get("t1")))
                .isInstanceOf(OutageTolerantCalls.StoppedException.class);

        assertThat(server.requestCount()).isEqualTo(BUDGET);
    }

    @Test
    void theOutagePaceHasAFloor()
            throws IOException
    {
        RetryPolicy tiny = RetryPolicy.builder().maxAttempts(2).backoff(Duration.ZERO, Duration.ofMillis(1))
                .random(() -> 0.0).sleeper(sleeper).build();
        TaskyardClient client = TaskyardClient.builder().baseUrl(server.url()).token("t0ken").retryPolicy(tiny)
                .sleeper(sleeper).build();
        OutageTolerantCalls fast = new OutageTolerantCalls(client, Duration.ofMillis(200), "remote");
        server.setDispatcher(request -> MockResponse.status(503));

        assertThatThrownBy(() -> fast.call("reading", c -> c.get("t1")))
                .isInstanceOf(NonFatalInternalErrorException.class);

        // 2 budget attempts (0 ms apart), then one per 50 ms at 50, 100, 150 and 200 ms
        assertThat(server.requestCount()).isEqualTo(2 + 4);
        assertThat(sleeper.sleeps().subList(1, sleeper.sleeps().size()))
                .allMatch(d -> d.equals(OutageTolerantCalls.MIN_PACE));
    }

    private static Duration ms(long millis)
    {
        return Duration.ofMillis(millis);
    }
}
