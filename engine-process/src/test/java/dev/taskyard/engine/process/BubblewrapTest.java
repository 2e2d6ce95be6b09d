package dev.taskyard.engine.process;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;

import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process engine with bubblewrap required (and fresh accounts and cgroups; CI runs as root with bubblewrap
 * installed, so this never skips): no network unless allowed, nothing written outside the work dir, a private
 * {@code /tmp}, and neither the server nor other tasks visible.
 */
@Timeout(120)
class BubblewrapTest
{
    static final String SANDBOXED = "{\"runAs\": \"fresh\", \"cgroups\": \"required\", \"bubblewrap\": \"required\"}";

    @Test
    void aTaskCannotReachTheNetworkUnlessAllowed()
            throws Exception
    {
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(500);
            String connect = "exec 3<>/dev/tcp/127.0.0.1/" + listener.getLocalPort() + " && echo connected";
            try (EngineFixture fixture = new EngineFixture(SANDBOXED)) {
                TaskContext context = fixture.newContext();
                ResultSet result = fixture.builder(EngineFixture.command("bash", "-c", connect), context)
                        .startSandbox().waitForResult();
                assertThat(result.success()).isFalse();
                assertThat(context.log().contentAsString()).doesNotContain("connected");
                assertThat(accepted(listener)).as("a connection from the sandbox").isFalse();
                result.dispose();
            }
            // the control: the same probe connects when the config allows the network
            try (EngineFixture fixture = new EngineFixture(SANDBOXED.replace("}", ", \"allowNetwork\": true}"))) {
                TaskContext context = fixture.newContext();
                ResultSet result = fixture.builder(EngineFixture.command("bash", "-c", connect), context)
                        .startSandbox().waitForResult();
                assertThat(context.log().contentAsString()).contains("connected");
                assertThat(accepted(listener)).isTrue();
                result.dispose();
            }
        }
    }

    @Test
    void aTaskWritesOnlyInItsWorkDirAndAPrivateTmp()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(SANDBOXED)) {
            Path outside = fixture.folder().resolve("outside.txt");
            String marker = "taskyard-bwrap-" + System.nanoTime();
            String script = "echo x > " + outside + "; echo outside=$?; echo x > /etc/" + marker + "; echo etc=$?; "
                    + "echo x > /tmp/" + marker
                            + " && echo tmp=$?; echo x > \"$HOME/inside.txt\" && echo home=$?; ls /proc | grep -c "
                            + "'^[0-9]' | sed 's/^/pids=/'";
            TaskContext context = fixture.newContext();
            ResultSet result = fixture.builder(EngineFixture.command("sh", "-c", script), context)
                    .startSandbox().waitForResult();
            String log = context.log().contentAsString();
            assertThat(log).contains("outside=2", "etc=2", "tmp=0", "home=0").contains("Read-only file system");
            assertThat(outside).doesNotExist();
            assertThat(Path.of("/etc", marker)).doesNotExist();
            assertThat(Path.of("/tmp", marker)).as("the task's /tmp is private").doesNotExist();
            assertThat(result.extractFile("inside.txt")).hasContent("x");
            // a new pid namespace: the task sees a handful of processes, not the host's
            int pids = Integer.parseInt(log.replaceAll("(?s).*pids=(\\d+).*", "$1"));
            assertThat(pids).isLessThan(10);
            result.dispose();
        }
    }

    @Test
    void aTaskCannotSeeOrSignalTheServer()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture(SANDBOXED)) {
            long server = ProcessHandle.current().pid();
            TaskContext context = fixture.newContext();
            String script = "kill -0 " + server + "; echo server=$?; ls " + fixture.folder() + "; echo list=$?";
            ResultSet result = fixture.builder(EngineFixture.command("sh", "-c", script), context)
                    .startSandbox().waitForResult();
            assertThat(context.log().contentAsString()).contains("server=1", "list=2");
            result.dispose();
        }
    }

    private static boolean accepted(ServerSocket listener)
            throws Exception
    {
        try {
            listener.accept().close();
            return true;
        }
        catch (SocketTimeoutException e) {
            return false;
        }
    }
}
