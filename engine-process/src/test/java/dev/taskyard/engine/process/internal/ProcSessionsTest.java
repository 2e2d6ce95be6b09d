package dev.taskyard.engine.process.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The /proc scanner: parsing, finding and killing a session, and its cost. */
@Timeout(60)
class ProcSessionsTest
{
    private static final Logger LOG = LoggerFactory.getLogger(ProcSessionsTest.class);

    @Test
    void parsesTheSessionAfterTheLastParenthesis()
    {
        assertThat(parse("42 (sh) S 1 42 42 0 -1 4194304")).isEqualTo(42);
        assertThat(parse("43 (a) b) (c) R 42 43 7 0 -1")).isEqualTo(7);
        assertThat(parse("44 (with space) S 1 2 3 4")).isEqualTo(3);
        assertThat(parse("45 (sleep) Z 1 45 45 0")).as("zombies are not live").isEqualTo(-1);
        assertThat(parse("46 (sleep) X 1 46 46 0")).as("dead processes are not live").isEqualTo(-1);
        assertThat(parse("47 (truncated")).isEqualTo(-1);
        assertThat(parse("48 (x) S 1 2")).isEqualTo(-1);
    }

    @Test
    void parsesTheStartTimeField22()
    {
        String stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 987654 2224128 200 "
                + "18446744073709551615";
        byte[] bytes = stat.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(ProcSessions.parseStartTime(bytes, bytes.length)).isEqualTo(987654);
        byte[] zombie = "4243 (x) Z 1 4243 4243 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(ProcSessions.parseStartTime(zombie, zombie.length)).isEqualTo(-1);
        byte[] shortLine = "4244 (x) S 1 2 3".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(ProcSessions.parseStartTime(shortLine, shortLine.length)).isEqualTo(-1);
        assertThat(ProcSessions.startTime(ProcessHandle.current().pid())).as("this JVM").isPositive();
    }

    @Test
    void findsAndKillsASessionAndNothingElse()
            throws Exception
    {
        Process process = new ProcessBuilder(Launcher.SETSID, "-w", "--", "sh", "-c",
                "sleep 300 & (sleep 300 &); echo ready; exec sleep 300")
                .redirectErrorStream(true)
                .start();
        try {
            assertThat(new String(process.getInputStream().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
            long session = process.pid();
            assertThat(ProcSessions.members(session)).hasSize(3).contains(session);
            assertThat(ProcSessions.liveSession(ProcessHandle.current().pid())).isNotEqualTo(session);
            assertThat(ProcSessions.members(ProcSessions.liveSession(ProcessHandle.current().pid())))
                    .as("the scanner never reports the JVM itself").doesNotContain(ProcessHandle.current().pid());
            assertThat(ProcSessions.killUntilEmpty(session, Duration.ofSeconds(10))).isTrue();
            assertThat(ProcSessions.members(session)).isEmpty();
            assertThat(process.waitFor()).isEqualTo(128 + 9);
        }
        finally {
            process.destroyForcibly();
        }
    }

    @Test
    void measureTheCostOfAScan()
    {
        int processes = new java.io.File("/proc").list((dir, name) -> name.chars().allMatch(Character::isDigit)).length;
        for (int i = 0; i < 200; i++) {
            ProcSessions.members(Long.MAX_VALUE - 1);
        }
        long[] nanos = new long[500];
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            ProcSessions.members(Long.MAX_VALUE - 1);
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        // a measurement, not an assertion: timings depend on the host
        LOG.info("/proc scan over {} processes: median {} µs, p90 {} µs", processes, nanos[nanos.length / 2] / 1000,
                nanos[nanos.length * 9 / 10] / 1000);
    }

    private static long parse(String stat)
    {
        byte[] bytes = stat.getBytes(StandardCharsets.US_ASCII);
        return ProcSessions.parseSession(bytes, bytes.length);
    }
}
