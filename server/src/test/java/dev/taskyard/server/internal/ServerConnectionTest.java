package dev.taskyard.server.internal;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import dev.taskyard.client.InvalidRequestException;
import dev.taskyard.client.ProblemException;
import dev.taskyard.client.RetriesExhaustedException;
import dev.taskyard.client.SubmitOutcomeUnknownException;
import dev.taskyard.client.TransportException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How a client command finds its server and token, and says in one line what went wrong. */
class ServerConnectionTest
{
    private static ServerConnection connection(Map<String, String> environment, String server, String token)
    {
        ServerConnection connection = new ServerConnection(environment);
        connection.server = server;
        connection.token = token;
        return connection;
    }

    private static ProblemException.Problem problem(int status, String title, String detail,
            List<ProblemException.FieldError> errors)
    {
        return new ProblemException.Problem(status, "https://taskyard.dev/problems/x", title, detail, Optional.empty(),
                errors, Map.of(), Optional.empty());
    }

    @Test
    void flagsComeBeforeTheEnvironmentAndTheDefaults()
    {
        assertThat(connection(Map.of("TASKYARD_SERVER", "http://127.0.0.1:9/"), null, "t").baseUrl())
                .isEqualTo("http://127.0.0.1:9");
        assertThat(connection(Map.of("TASKYARD_SERVER", "http://127.0.0.1:9"), "http://127.0.0.1:7", "t").baseUrl())
                .isEqualTo("http://127.0.0.1:7");
        assertThat(connection(Map.of(), null, "t").baseUrl()).isEqualTo(ServerConnection.DEFAULT_SERVER);
        assertThat(connection(Map.of("TASKYARD_TOKEN", " env-token \n"), null, null).token()).isEqualTo("env-token");
        assertThat(connection(Map.of("TASKYARD_TOKEN", "env-token"), null, "flag").token()).isEqualTo("flag");
    }

    @Test
    void badSettingsAreOneLine()
    {
        assertThatThrownBy(() -> connection(Map.of(), "ftp://x", "t").client())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("invalid server URL ftp://x: ");
        assertThatThrownBy(() -> connection(Map.of(), null, "has space").client())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("invalid token: ");
    }

    @Test
    void problemsKeepTheirStatusDetailAndEveryViolationByPath()
    {
        ServerConnection connection = connection(Map.of(), "http://127.0.0.1:8080", "t");
        InvalidRequestException invalid =
                new InvalidRequestException(problem(400, "Bad Request", "the payload is invalid",
                List.of(new ProblemException.FieldError("$.command", "must be an array"),
                        new ProblemException.FieldError("$.env.A", "must be a string"))));

        assertThat(connection.describe(invalid))
                .isEqualTo("400 Bad Request: the payload is invalid ($.command: must be an array; $.env.A: must be a "
                + "string)");
        assertThat(connection.describe(new ProblemException(problem(404, "Not Found", "no task x", List.of()))))
                .isEqualTo("404 Not Found: no task x");
    }

    @Test
    void transportFailuresNameTheServer()
    {
        ServerConnection connection = connection(Map.of(), "http://127.0.0.1:1", "t");
        RetriesExhaustedException refused =
                new RetriesExhaustedException("GET /v1/tasks/x", 5, OptionalInt.empty(), new ConnectException());
        RetriesExhaustedException busy = new RetriesExhaustedException("GET /v1/tasks/x", 5, OptionalInt.of(503),
                new ProblemException(problem(503, "Service Unavailable", "too many streams", List.of())));
        TransportException timeout =
                new TransportException("GET /v1/tasks/x failed", new HttpTimeoutException("request timed out"));

        assertThat(connection.describe(refused))
                .isEqualTo("cannot reach http://127.0.0.1:1: connection refused (is taskyard serve running?)");
        assertThat(connection.describe(busy)).isEqualTo("503 Service Unavailable: too many streams (5 attempts)");
        assertThat(connection.describe(timeout)).isEqualTo("cannot reach http://127.0.0.1:1: no answer in time");
        assertThat(connection.describe(new SubmitOutcomeUnknownException("k-1", 5, OptionalInt.of(503), busy)))
                .isEqualTo("503 Service Unavailable: too many streams (5 attempts); the task may have been created: "
                        + "submit again with --idempotency-key k-1");
    }
}
