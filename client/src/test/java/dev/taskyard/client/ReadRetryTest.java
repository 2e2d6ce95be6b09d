package dev.taskyard.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.RecordedRequest;
import dev.taskyard.client.testing.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static dev.taskyard.client.Fixtures.ms;
import static dev.taskyard.client.Fixtures.taskResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Reads are retried on 425/429/502/503/504 and transport failures, with exactly the delays the policy says. */
class ReadRetryTest
{
    private MockServer server;
    private FakeSleeper sleeper;
    private TaskyardClient client;

    @BeforeEach
    void start()
            throws IOException
    {
        server = MockServer.start();
        sleeper = new FakeSleeper();
        client = Fixtures.client(server, sleeper).build();
    }

    @AfterEach
    void stop()
            throws IOException
    {
        server.close();
    }

    @Test
    void transientStatusesAreRetriedWithExponentialBackoff()
            throws Exception
    {
        server.enqueue(MockResponse.status(502));
        server.enqueue(MockResponse.problem(503, "unavailable", "Service Unavailable", "restarting"));
        server.enqueue(MockResponse.status(504));
        server.enqueue(MockResponse.status(425));
        server.enqueue(taskResponse("t1", "RUNNING"));

        Task task = client.get("t1");

        assertThat(task.taskId()).isEqualTo("t1");
        assertThat(task.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800), ms(1600));
        assertThat(server.requestCount()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS);
            assertThat(request.method()).isEqualTo("GET");
            assertThat(request.path()).isEqualTo("/v1/tasks/t1");
            assertThat(request.header("Authorization")).contains("Bearer " + Fixtures.TOKEN);
        }
    }

    @Test
    void retryAfterSecondsAreHonouredWithinTheCap()
    {
        server.enqueue(MockResponse.status(429).header("Retry-After", "1"));
        server.enqueue(MockResponse.status(503).header("Retry-After", "120"));
        server.enqueue(MockResponse.status(503).header("Retry-After", "0"));
        server.enqueue(MockResponse.status(503).header("Retry-After", "soon"));
        server.enqueue(taskResponse("t1", "COMPLETED"));

        assertThat(client.get("t1").status()).isEqualTo(TaskStatus.COMPLETED);

        assertThat(sleeper.sleeps())
                .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ZERO, ms(1600));
    }

    @Test
    void retryAfterAsAnHttpDateIsADelayFromNow()
    {
        String inTwoSeconds =
                DateTimeFormatter.RFC_1123_DATE_TIME.format(sleeper.now().plusSeconds(2).atZone(ZoneOffset.UTC));
        server.enqueue(MockResponse.status(503).header("Retry-After", inTwoSeconds));
        server.enqueue(taskResponse("t1", "PENDING"));

        client.get("t1");

        assertThat(sleeper.sleeps()).containsExactly(Duration.ofSeconds(2));
    }

    /*
     * The JDK HttpClient itself sends a GET once more, on a new connection, when a connection fails before any byte
     * of the answer came (its ConnectionExpiredException retry, inside one attempt of the policy): so a fault before
     * the
     * answer is enqueued twice, and the policy sees one or two failed attempts, depending on the JDK.
     */
    @ParameterizedTest
    @EnumSource(value = SocketPolicy.class, names =
            {"DISCONNECT_AT_START", "DISCONNECT_AFTER_REQUEST", "RESET_AFTER_REQUEST"})
    void faultsBeforeTheAnswerAreRetried(SocketPolicy policy)
    {
        server.enqueue(MockResponse.fault(policy));
        server.enqueue(MockResponse.fault(policy));
        server.enqueue(taskResponse("t1", "RUNNING"));

        assertThat(client.get("t1").status()).isEqualTo(TaskStatus.RUNNING);

        assertThat(sleeper.sleeps()).isIn(List.of(ms(200)), List.of(ms(200), ms(400)));
        assertThat(server.connectionCount()).isEqualTo(3);
    }

    @Test
    void answersCutShortAreRetried()
    {
        server.enqueue(taskResponse("t1", "RUNNING").cutAt(20));
        server.enqueue(taskResponse("t1", "RUNNING").cutAt(0));
        server.enqueue(MockResponse.status(503));
        server.enqueue(taskResponse("t1", "RUNNING").cutAt(50));
        server.enqueue(taskResponse("t1", "COMPLETED"));

        assertThat(client.get("t1").status()).isEqualTo(TaskStatus.COMPLETED);

        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800), ms(1600));
        assertThat(server.requestCount()).isEqualTo(5);
    }

    @Test
    void resetsUntilTheBudgetIsSpentEndInRetriesExhausted()
    {
        server.setDispatcher(request -> MockResponse.fault(SocketPolicy.RESET_AFTER_REQUEST));

        RetriesExhaustedException e = catchThrowableOfType(() -> client.get("t1"), RetriesExhaustedException.class);

        assertThat(e.attempts()).isEqualTo(5);
        assertThat(e.lastStatus()).isEmpty();
        assertThat(e.getCause()).isInstanceOf(IOException.class);
        assertThat(e.getSuppressed()).hasSize(4);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800), ms(1600));
        assertThat(server.requestCount()).isBetween(5, 10);
    }

    @Test
    void aRefusedConnectionIsRetriedThenReported()
            throws IOException
    {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        TaskyardClient refused = TaskyardClient.builder().baseUrl("http://127.0.0.1:" + closedPort).token("t")
                .retryPolicy(Fixtures.policy(sleeper)).sleeper(sleeper).build();

        RetriesExhaustedException e = catchThrowableOfType(() -> refused.get("t1"), RetriesExhaustedException.class);

        assertThat(e.attempts()).isEqualTo(5);
        assertThat(e.lastStatus()).isEmpty();
        assertThat(e.getCause()).isInstanceOf(ConnectException.class);
        assertThat(e.getSuppressed()).hasSize(4).allSatisfy(s -> assertThat(s).isInstanceOf(ConnectException.class));
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800), ms(1600));
    }

    @Test
    void aSpentBudgetNamesTheLastStatusAndTheAttemptsWithEarlierFailuresAttached()
    {
        server.enqueue(taskResponse("t1", "RUNNING").cutAt(10));
        server.enqueue(MockResponse.status(502));
        server.enqueue(MockResponse.status(504));
        server.enqueue(MockResponse.status(429));
        server.enqueue(MockResponse.problem(503, "too-many-streams", "Service Unavailable",
                "retry later").header("Retry-After", "5"));
        server.enqueue(taskResponse("t1", "RUNNING"));

        RetriesExhaustedException e = catchThrowableOfType(() -> client.get("t1"), RetriesExhaustedException.class);

        assertThat(e).hasMessage("GET /v1/tasks/t1 failed after 5 attempts; last: status 503");
        assertThat(e.call()).isEqualTo("GET /v1/tasks/t1");
        assertThat(e.attempts()).isEqualTo(5);
        assertThat(e.lastStatus()).hasValue(503);
        ServerBusyException last = (ServerBusyException) e.getCause();
        assertThat(last.type()).isEqualTo("https://taskyard.dev/problems/too-many-streams");
        assertThat(last.retryAfter()).contains(Duration.ofSeconds(5));
        List<Object> earlier = new ArrayList<>(List.of(e.getSuppressed()));
        assertThat(earlier).hasSize(4);
        assertThat(earlier.get(0)).isInstanceOf(IOException.class);
        assertThat(earlier.subList(1, 4)).map(s -> ((ProblemException) s).status()).containsExactly(502, 504, 429);
        assertThat(server.requestCount()).isEqualTo(5);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800), ms(1600));
    }

    @Test
    void otherErrorsAreNotRetried()
    {
        server.enqueue(MockResponse.problem(500, "internal-error", "Internal Server Error", "boom"));
        server.enqueue(MockResponse.problem(404, "not-found", "Not Found", "no task t2"));

        ProblemException internal = catchThrowableOfType(() -> client.get("t1"), ProblemException.class);
        NotFoundException missing = catchThrowableOfType(() -> client.get("t2"), NotFoundException.class);

        assertThat(internal.status()).isEqualTo(500);
        assertThat(missing.detail()).isEqualTo("no task t2");
        assertThat(server.requestCount()).isEqualTo(2);
        assertThat(sleeper.sleeps()).isEmpty();
    }

    @Test
    void aConfiguredBudgetIsKept()
    {
        TaskyardClient three = Fixtures.client(server, sleeper)
                .retryPolicy(Fixtures.policy(sleeper).toBuilder().maxAttempts(3).build()).build();
        for (int i = 0; i < 3; i++) {
            server.enqueue(MockResponse.status(503));
        }
        server.enqueue(taskResponse("t1", "RUNNING"));

        RetriesExhaustedException e = catchThrowableOfType(() -> three.get("t1"), RetriesExhaustedException.class);

        assertThat(e.attempts()).isEqualTo(3);
        assertThat(server.requestCount()).isEqualTo(3);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400));
    }

    @Test
    void anInterruptedBackoffEndsTheCallAndKeepsTheInterrupt()
    {
        Sleeper interrupted = new Sleeper()
        {
            @Override
            public long nanoTime()
            {
                return 0;
            }

            @Override
            public java.time.Instant now()
            {
                return java.time.Instant.EPOCH;
            }

            @Override
            public void sleep(Duration duration)
                    throws InterruptedException
            {
                throw new InterruptedException("stop");
            }
        };
        TaskyardClient impatient = Fixtures.client(server, sleeper)
                .retryPolicy(RetryPolicy.builder().sleeper(interrupted).build()).build();
        server.enqueue(MockResponse.status(503));
        server.enqueue(taskResponse("t1", "RUNNING"));

        try {
            TransportException e = catchThrowableOfType(() -> impatient.get("t1"), TransportException.class);
            assertThat(e.getCause()).isInstanceOf(java.io.InterruptedIOException.class);
            assertThat(e.getCause().getSuppressed()).hasSize(1);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            assertThat(server.requestCount()).isEqualTo(1);
        }
        finally {
            Thread.interrupted();
        }
    }

    @Test
    void aRequestTimeoutIsNotRetried()
    {
        TaskyardClient hasty = Fixtures.client(server, sleeper).requestTimeout(ms(300)).build();
        server.enqueue(MockResponse.fault(SocketPolicy.NO_RESPONSE));
        server.enqueue(taskResponse("t1", "RUNNING"));

        TransportException e = catchThrowableOfType(() -> hasty.get("t1"), TransportException.class);

        assertThat(e.getCause()).isInstanceOf(java.net.http.HttpTimeoutException.class);
        assertThat(sleeper.sleeps()).isEmpty();
        assertThat(server.requestCount()).isEqualTo(1);
    }
}
