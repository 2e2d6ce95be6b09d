package dev.taskyard.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.taskyard.client.testing.FakeSleeper;
import dev.taskyard.client.testing.MockResponse;
import dev.taskyard.client.testing.MockServer;
import dev.taskyard.client.testing.RecordedRequest;
import dev.taskyard.client.testing.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.taskyard.client.Fixtures.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Following a log resumes with {@code Range} after a drop: the assembled log has no byte lost or repeated. */
class LogFollowTest
{
    private static final byte[] LOG =
            IntStream.range(0, 400).mapToObj(i -> "line " + i + " ünïcödé\n").collect(Collectors.joining())
            .getBytes(StandardCharsets.UTF_8);
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private MockServer server;
    private FakeSleeper sleeper;
    private TaskyardClient client;
    private final List<Long> offsets = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** The log offset the test follows from. */
    private volatile long base;

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

    /** Serves the log from the requested offset; the first {@code drops} answers are cut after {@code cut} bytes. */
    private MockServer.Dispatcher logServer(int drops, int cut, boolean honourRange)
    {
        AtomicInteger served = new AtomicInteger();
        return request -> {
            if (!request.path().equals("/v1/tasks/t1/log")) {
                return MockResponse.problem(404, "not-found", "Not Found", request.path());
            }
            long offset = offset(request);
            offsets.add(offset);
            boolean partial = honourRange && offset > 0;
            int from = partial ? (int) offset : 0;
            byte[] rest = java.util.Arrays.copyOfRange(LOG, from, LOG.length);
            MockResponse response = MockResponse.status(partial ? 206 : 200)
                    .header("Content-Type", "text/plain; charset=utf-8").body(rest);
            if (partial) {
                response = response.header("Content-Range", "bytes " + offset + "-*/*");
            }
            return served.getAndIncrement() < drops
                    ? response.cutAt(cut, () -> received(Math.min(from + cut, LOG.length) - base)) : response;
        };
    }

    /** Waits until the client has written {@code bytes} bytes of the log, so the cut comes after it took them in. */
    private void received(long bytes)
    {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (out.size() < bytes && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    private static long offset(RecordedRequest request)
    {
        Optional<String> range = request.header("Range");
        if (range.isEmpty()) {
            return 0;
        }
        Matcher matcher = RANGE.matcher(range.get());
        assertThat(matcher.matches()).as("Range %s", range.get()).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    @Test
    void resumesWithRangeAfterDropsWithoutLosingOrRepeatingABytes()
    {
        server.setDispatcher(logServer(3, 1000, true));

        long written = client.followLog("t1", out);

        assertThat(out.toByteArray()).isEqualTo(LOG);
        assertThat(written).isEqualTo(LOG.length);
        // each resumption starts right after the bytes the previous answer delivered (1000 before each cut)
        assertThat(offsets).containsExactly(0L, 1000L, 2000L, 3000L);
    }

    @Test
    void aServerThatIgnoresTheRangeIsSkippedPast()
    {
        server.setDispatcher(logServer(2, 1500, false));

        client.followLog("t1", out);

        assertThat(out.toByteArray()).isEqualTo(LOG);
        assertThat(offsets).containsExactly(0L, 1500L, 1500L);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400));
    }

    @Test
    void fromTheEndOfAFinishedLogCopiesNothing()
    {
        server.setDispatcher(request ->
                MockResponse.problem(416, "about:blank", "Range Not Satisfiable", "the log has 12 bytes")
                .header("Content-Range", "bytes */12"));

        long written = client.followLog("t1", 12, out);

        assertThat(written).isZero();
        assertThat(out.size()).isZero();
    }

    @Test
    void aRangeRefusedFromTheStartIsAnError()
    {
        server.setDispatcher(request -> MockResponse.problem(416, "about:blank", "Range Not Satisfiable", "no"));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.followLog("t1", 0, out))
                .isInstanceOf(ProblemException.class);
    }

    @Test
    void followsFromAGivenOffset()
    {
        server.setDispatcher(logServer(1, 700, true));

        base = 100;
        long written = client.followLog("t1", 100, out);

        assertThat(out.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(LOG, 100, LOG.length));
        assertThat(written).isEqualTo(LOG.length - 100);
        assertThat(offsets).containsExactly(100L, 800L);
    }

    @Test
    void transientStatusesOnResumeAreRetriedByThePolicy()
    {
        MockServer.Dispatcher log = logServer(1, 1000, true);
        AtomicInteger calls = new AtomicInteger();
        server.setDispatcher(request -> calls.getAndIncrement() == 1
                ? MockResponse.status(503).header("Retry-After", "1") : log.dispatch(request));

        client.followLog("t1", out);

        assertThat(out.toByteArray()).isEqualTo(LOG);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), java.time.Duration.ofSeconds(1));
    }

    @Test
    void givesUpAfterTheBudgetOfBreaksWithoutProgress()
    {
        server.setDispatcher(request -> MockResponse.status(200).body(LOG).cutAt(0));

        TransportException e = catchThrowableOfType(() -> client.followLog("t1", new ByteArrayOutputStream()),
                TransportException.class);

        assertThat(e).hasMessageContaining("broke at byte 0").hasMessageContaining("5 breaks");
        assertThat(e.getSuppressed()).hasSize(4);
        assertThat(server.requestCount()).isEqualTo(5);
        assertThat(sleeper.sleeps()).containsExactly(ms(200), ms(400), ms(800), ms(1600));
    }

    @Test
    void anUnknownTaskIsNotFound()
    {
        server.setDispatcher(logServer(0, 0, true));

        assertThat(catchThrowableOfType(() -> client.followLog("t2", new ByteArrayOutputStream()),
                NotFoundException.class).status()).isEqualTo(404);
    }

    @Test
    void aResetBeforeTheAnswerIsRetried()
    {
        MockServer.Dispatcher log = logServer(0, 0, true);
        AtomicInteger calls = new AtomicInteger();
        server.setDispatcher(request -> calls.getAndIncrement() < 2
                ? MockResponse.fault(SocketPolicy.RESET_AFTER_REQUEST) : log.dispatch(request));

        client.followLog("t1", out);

        assertThat(out.toByteArray()).isEqualTo(LOG);
    }
}
