package dev.taskyard.bench;

import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.WorkerIdentity;
import org.slf4j.LoggerFactory;

/**
 * The cost of running {@code /bin/true} through the process engine's full life-cycle (newSandboxBuilder →
 * startSandbox → waitForResult → dispose), each mode against its own bare baseline measured in the same JVM and run,
 * samples interleaved after a warm-up so both see the same machine state. Prints medians, p90s and the ratios of the
 * medians; it never fails on timings.
 * <ul>
 * <li>unisolated (the engine's defaults) against a bare {@code new ProcessBuilder("/bin/true").start().waitFor()};
 *     goal ≤ 1.5×; a bare {@code setsid -w -- /bin/true} (the engine's extra exec) for attribution;</li>
 * <li>isolated (cgroups and bubblewrap required, the server's account) against a bare
 *     {@code bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --unshare-net --die-with-parent -- /bin/true}
 *     (needs root and bwrap, else skipped with the reason);</li>
 * <li>(info) fully isolated: a fresh account per task as well ({@code useradd}/{@code userdel}), fewer samples.</li>
 * </ul>
 *
 * <p>Arguments: {@code [samples per series, default 400] [warm-up samples, default 100]}.
 */
public final class ProcessEngineBench
{
    private static final double GOAL = 1.5;
    private static final String[] BARE_BWRAP =
            {"/usr/bin/bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--unshare-pid", "--unshare-net", "--die-with-parent", "--", "/bin/true"};

    private ProcessEngineBench() {}

    public static void main(String[] args)
            throws Exception
    {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode payload = (ObjectNode) mapper.readTree("{\"command\": [\"/bin/true\"]}");

        System.out.println("process engine full life-cycle of /bin/true vs bare baselines, " + samples
                + " interleaved samples each after "
                + warmUp + " warm-up samples");
        try (Bench unisolated = new Bench(mapper.createObjectNode())) {
            for (int i = 0; i < warmUp; i++) {
                unisolated.run(payload);
                bare("/bin/true");
                bare("/usr/bin/setsid", "-w", "--", "/bin/true");
            }
            long[] engineNanos = new long[samples];
            long[] bareNanos = new long[samples];
            long[] setsidNanos = new long[samples];
            for (int i = 0; i < samples; i++) {
                engineNanos[i] = unisolated.run(payload);
                bareNanos[i] = bare("/bin/true");
                setsidNanos[i] = bare("/usr/bin/setsid", "-w", "--", "/bin/true");
            }
            double ratio = (double) Percentiles.median(engineNanos) / Percentiles.median(bareNanos);
            print("unisolated engine life-cycle", engineNanos);
            print("bare ProcessBuilder /bin/true", bareNanos);
            print("(info) bare setsid -w -- /bin/true", setsidNanos);
            System.out.printf("unisolated ratio engine/bare (medians): %.2f×  goal ≤ %.1f×: %s%n", ratio, GOAL,
                    ratio <= GOAL ? "met" : "NOT met");
        }

        if (ProcessHandle.current().info().user().map(user -> !user.equals("root")).orElse(true)
                || !Files.isExecutable(Path.of(BARE_BWRAP[0]))) {
            System.out.println("isolated series skipped: they need root and " + BARE_BWRAP[0]);
            return;
        }
        try (Bench isolated =
                new Bench((ObjectNode) mapper.readTree("{\"cgroups\": \"required\", \"bubblewrap\": \"required\"}"))) {
            for (int i = 0; i < warmUp; i++) {
                isolated.run(payload);
                bare(BARE_BWRAP);
            }
            long[] engineNanos = new long[samples];
            long[] bareNanos = new long[samples];
            for (int i = 0; i < samples; i++) {
                engineNanos[i] = isolated.run(payload);
                bareNanos[i] = bare(BARE_BWRAP);
            }
            print("isolated engine (cgroups, bubblewrap)", engineNanos);
            print("bare bwrap … /bin/true", bareNanos);
            System.out.printf("isolated ratio engine/bare bwrap (medians): %.2f×%n",
                    (double) Percentiles.median(engineNanos) / Percentiles.median(bareNanos));
        }
        int fewer = Math.max(10, samples / 10);
        try (Bench fresh = new Bench((ObjectNode) mapper.readTree("{\"runAs\": \"fresh\", \"cgroups\": \"required\", "
                + "\"bubblewrap\": \"required\"}"))) {
            fresh.run(payload);
            long[] engineNanos = new long[fewer];
            for (int i = 0; i < fewer; i++) {
                engineNanos[i] = fresh.run(payload);
            }
            print("(info) + a fresh account per task, " + fewer + " samples", engineNanos);
        }
    }

    /** A process engine with one config in its own temp folder; closing disposes it and checks for leaks. */
    private static final class Bench
            implements AutoCloseable
    {
        private final Path temp;
        private final ResourceTracker tracker = new ResourceTracker();
        private final Engine engine;

        Bench(ObjectNode config)
                throws Exception
        {
            temp = Files.createTempDirectory("taskyard-bench-process");
            engine = EngineRegistry.load().createEngine("process", config,
                    new EngineContext(temp, LoggerFactory.getLogger("bench"),
                            new WorkerIdentity("bench", "bench-1"), tracker));
        }

        long run(ObjectNode payload)
                throws Exception
        {
            return EngineRuns.timed(engine, payload, temp, "/bin/true in the process engine");
        }

        @Override
        public void close()
                throws Exception
        {
            EngineRuns.dispose(engine, tracker, temp, "process");
        }
    }

    private static long bare(String... command)
            throws Exception
    {
        long start = System.nanoTime();
        int exit = new ProcessBuilder(command).start().waitFor();
        long elapsed = System.nanoTime() - start;
        if (exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + exit);
        }
        return elapsed;
    }

    private static void print(String what, long[] nanos)
    {
        System.out.printf("%-45s median %8.1f µs   p90 %8.1f µs%n", what + ":", Percentiles.median(nanos) / 1e3,
                Percentiles.of(nanos, 90) / 1e3);
    }
}
