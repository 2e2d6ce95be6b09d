package dev.taskyard.engine.docker.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.time.Instant;
import java.util.Optional;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DockerErrorsTest
{
    @Test
    void reasonIsTheDaemonsMessage()
    {
        assertThat(DockerErrors.reason(new NotFoundException("{\"message\":\"No such image: depres/nope:0\"}\n")))
                .isEqualTo("No such image: depres/nope:0");
        assertThat(DockerErrors.reason(new ConflictException("plain text"))).isEqualTo("plain text");
        assertThat(DockerErrors.reason(new RuntimeException(new IOException("No such file or directory"))))
                .isEqualTo("IOException: No such file or directory");
    }

    @Test
    void classifiesStoppedContainers()
    {
        assertThat(DockerErrors.isNotRunning(new ConflictException("{\"message\":\"Container 0123 is not running\"}")))
                .isTrue();
        assertThat(DockerErrors.isNotRunning(new NotModifiedException(""))).isTrue();
        assertThat(DockerErrors.isNotRunning(new ConflictException("{\"message\":\"volume is in use\"}"))).isFalse();
    }

    @Test
    void unreachableDaemonSaysSo()
    {
        NonFatalInternalErrorException error =
                DockerErrors.internal("unix:///x.sock", "start a task",
                new RuntimeException(new IOException("Connection refused")));
        assertThat(error.getMessage()).contains("unix:///x.sock").contains("does not answer")
                .contains("Connection refused");
        NonFatalInternalErrorException refused =
                DockerErrors.internal("unix:///x.sock", "start a task",
                new ConflictException("{\"message\":\"busy\"}"));
        assertThat(refused.getMessage()).isEqualTo("the Docker daemon at unix:///x.sock could not start a task: busy");
    }

    @Test
    void endpointsAndDaemonTimes()
    {
        assertThat(ExecConnection.address("unix:///var/run/docker.sock"))
                .isEqualTo(UnixDomainSocketAddress.of("/var/run/docker.sock"));
        assertThat(ExecConnection.address("tcp://127.0.0.1:2375")).isEqualTo(new InetSocketAddress("127.0.0.1", 2375));
        assertThat(Reconciler.parseTime("2026-11-25T11:34:26.940466881Z"))
                .contains(Instant.parse("2026-11-25T11:34:26.940466881Z"));
        assertThat(Reconciler.parseTime("2026-11-25T12:34:26+01:00")).contains(Instant.parse("2026-11-25T11:34:26Z"));
        assertThat(Reconciler.parseTime("yesterday")).isEqualTo(Optional.empty());
    }
}
