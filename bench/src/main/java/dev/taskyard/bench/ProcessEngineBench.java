package dev.taskyard.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import org.slf4j.LoggerFactory;

/**
 * The cost of running {@code /bin/true} through the process engine's full life-cycle (newSandboxBuilder →
 * startSandbox → waitForResult → dispose) against a bare {@code new ProcessBuilder("/bin/true").start().waitFor()}
 * in the same JVM and run. Samples are interleaved (engine, bare, engine, bare, …) after a warm-up, so both see the
 * same machine state. Prints medians, p90s and the ratio of the medians; the goal is a ratio of at most 1.5. It
 * never fails on timings.
 *
 * <p>For attribution it also prints, as information only, a bare {@code /usr/bin/setsid -w -- /bin/true} (the
 * engine's extra exec).
 *
 * <p>Arguments: {@code [samples per series, default 400] [warm-up samples, default 100]}.
 */
public final class ProcessEngineBench
{
    private static final double GOAL = 1.5;

    private ProcessEngineBench() {}

    public static void main(String[] args)
            throws Exception
    {
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Path temp = Files.createTempDirectory("taskyard-bench-process");
        ResourceTracker tracker = new ResourceTracker();
        ObjectMapper mapper = new ObjectMapper();
        Engine engine = EngineRegistry.load().createEngine("process", mapper.createObjectNode(),
                new EngineContext(temp, LoggerFactory.getLogger("bench"), new WorkerIdentity("bench", "bench-1"), tracker));
        ObjectNode payload = (ObjectNode) mapper.readTree("{\"command\": [\"/bin/true\"]}");

        System.out.println("process engine full life-cycle of /bin/true vs bare ProcessBuilder, " + samples + " interleaved samples each after "
                + warmUp + " warm-up samples");
        for (int i = 0; i < warmUp; i++) {
            engineRun(engine, payload, temp);
            bare("/bin/true");
            bare("/usr/bin/setsid", "-w", "--", "/bin/true");
        }
        long[] engineNanos = new long[samples];
        long[] bareNanos = new long[samples];
        long[] setsidNanos = new long[samples];
        for (int i = 0; i < samples; i++) {
            engineNanos[i] = engineRun(engine, payload, temp);
            bareNanos[i] = bare("/bin/true");
            setsidNanos[i] = bare("/usr/bin/setsid", "-w", "--", "/bin/true");
        }
        engine.dispose();
        if (!tracker.isEmpty()) {
            throw new IllegalStateException("the process engine leaked " + tracker.live());
        }
        try (var paths = Files.walk(temp)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }

        double ratio = (double) median(engineNanos) / median(bareNanos);
        print("process engine life-cycle", engineNanos);
        print("bare ProcessBuilder /bin/true", bareNanos);
        print("(info) bare setsid -w -- /bin/true", setsidNanos);
        System.out.printf("ratio engine/bare (medians): %.2f×  goal ≤ %.1f×: %s%n", ratio, GOAL, ratio <= GOAL ? "met" : "NOT met");
    }

    /** One full life-cycle, timed from newSandboxBuilder to the end of dispose; the task context is made outside. */
    private static long engineRun(Engine engine, ObjectNode payload, Path temp)
            throws Exception
    {
        TaskContext context = TaskContext.builder().taskId("bench").logSpillFolder(temp).build();
        try {
            long start = System.nanoTime();
            ResultSet result = engine.newSandboxBuilder(new SandboxOptions(payload, context)).startSandbox().waitForResult();
            boolean success = result.success();
            result.dispose();
            long elapsed = System.nanoTime() - start;
            if (!success) {
                throw new IllegalStateException("/bin/true failed in the process engine: " + context.log().contentAsString());
            }
            return elapsed;
        }
        finally {
            context.dispose();
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

    private static long median(long[] nanos)
    {
        return percentile(nanos, 50);
    }

    private static long percentile(long[] nanos, int percent)
    {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)];
    }

    private static void print(String what, long[] nanos)
    {
        System.out.printf("%-45s median %8.1f µs   p90 %8.1f µs%n", what + ":", median(nanos) / 1e3, percentile(nanos, 90) / 1e3);
    }
}
