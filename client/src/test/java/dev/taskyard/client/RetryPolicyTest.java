package dev.taskyard.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.taskyard.client.RetryPolicy.Replay;
import dev.taskyard.client.testing.FakeSleeper;
import org.junit.jupiter.api.Test;

import static dev.taskyard.client.Fixtures.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure parts of the policy: classification and backoff. */
class RetryPolicyTest
{
    private static final URI URL = URI.create("http://127.0.0.1:1/v1/tasks");

    @Test
    void backoffDoublesFromPointTwoToTwoSeconds()
    {
        RetryPolicy policy = Fixtures.policy(new FakeSleeper());
        assertThat(java.util.stream.IntStream.rangeClosed(1, 7).mapToObj(policy::backoff))
                .containsExactly(ms(200), ms(400), ms(800), ms(1600), ms(2000), ms(2000), ms(2000));
    }

    @Test
    void jitterTakesOffAtMostItsShare()
    {
        RetryPolicy most = RetryPolicy.builder().random(() -> 0.999_999_999).jitter(0.5).build();
        assertThat(most.backoff(1)).isBetween(ms(100), ms(101));
        assertThat(most.backoff(5)).isBetween(ms(1000), ms(1001));
        RetryPolicy random = RetryPolicy.defaults();
        for (int i = 0; i < 100; i++) {
            assertThat(random.backoff(3)).isBetween(ms(400), ms(800));
        }
    }

    @Test
    void retryAfterIsHonouredWithinTheCap()
    {
        RetryPolicy policy = Fixtures.policy(new FakeSleeper());
        assertThat(policy.delay(1, Optional.of(Duration.ofSeconds(1)))).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.delay(1, Optional.of(Duration.ZERO))).isEqualTo(Duration.ZERO);
        assertThat(policy.delay(1, Optional.of(Duration.ofSeconds(30)))).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delay(3, Optional.empty())).isEqualTo(ms(800));
    }

    @Test
    void onlyReadsKeyedPostsAndDeclaredIdempotentCallsAreReplayable()
    {
        assertThat(RetryPolicy.replayable(request("GET", Map.of(), false))).isEqualTo(Replay.READ);
        assertThat(RetryPolicy.replayable(request("head", Map.of(), false))).isEqualTo(Replay.READ);
        assertThat(RetryPolicy.replayable(request("OPTIONS", Map.of(), false))).isEqualTo(Replay.READ);
        assertThat(RetryPolicy.replayable(request("POST", Map.of("idempotency-key", "k"), false)))
                .isEqualTo(Replay.IDEMPOTENCY_KEY);
        assertThat(RetryPolicy.replayable(request("POST", Map.of(), true))).isEqualTo(Replay.DECLARED_IDEMPOTENT);
        assertThat(RetryPolicy.replayable(request("POST", Map.of(), false))).isEqualTo(Replay.NEVER);
        assertThat(RetryPolicy.replayable(request("PUT", Map.of("Idempotency-Key", "k"), false)))
                .isEqualTo(Replay.NEVER);
        assertThat(RetryPolicy.replayable(request("DELETE", Map.of(), false))).isEqualTo(Replay.NEVER);
    }

    @Test
    void classifiesStatusesAndTransportFailures()
    {
        RetryPolicy policy = RetryPolicy.defaults();
        assertThat(java.util.stream.IntStream.of(200, 400, 404, 408, 425, 429, 500, 501, 502, 503,
                504).filter(policy::isRetryableStatus))
                .containsExactly(425, 429, 502, 503, 504);
        assertThat(RetryPolicy.isRetryable(new SocketException("Connection reset"))).isTrue();
        assertThat(RetryPolicy.isRetryable(new ConnectException("Connection refused"))).isTrue();
        assertThat(RetryPolicy.isRetryable(new EOFException("EOF reached while reading"))).isTrue();
        assertThat(RetryPolicy.isRetryable(new IOException("HTTP/1.1 header parser received no bytes"))).isTrue();
        assertThat(RetryPolicy.isRetryable(new HttpConnectTimeoutException("connect timed out"))).isTrue();
        assertThat(RetryPolicy.isRetryable(new HttpTimeoutException("request timed out"))).isFalse();
        assertThat(RetryPolicy.isRetryable(new InterruptedIOException())).isFalse();
        assertThat(RetryPolicy.isRetryable(new ProtocolException("bad status line"))).isFalse();
    }

    @Test
    void rejectsNonsense()
    {
        assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().jitter(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().backoff(ms(10), ms(5)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.defaults().backoff(0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static ApiRequest request(String method, Map<String, String> headers, boolean idempotent)
    {
        return new ApiRequest(method, URL, headers, Optional.empty(), idempotent, false, Duration.ofSeconds(1));
    }
}
