package dev.taskyard.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.WorkerIdentity;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.slf4j.LoggerFactory;

/**
 * The cost of one task {@code true} through the Docker engine's full life-cycle (newSandboxBuilder → startSandbox →
 * waitForResult → dispose, which removes the container) against {@code docker run --rm --network none IMAGE true}
 * through the CLI, in the same run. Samples are interleaved (engine, CLI, engine, CLI, …) after a warm-up. Prints
 * medians, p90s and the ratio of the medians (goal: the engine at most 0.8× the CLI), then the engine's throughput
 * with 1, 2 and 4 sandboxes at once. It never fails on timings. Only this benchmark uses the CLI; the engine talks to
 * the Engine API.
 *
 * <p>The image is {@code taskyard-bench/busybox:<hash>}, imported once from the host's busybox-static (by
 * {@code docker import}); it is left in place for the next run.
 *
 * <p>Arguments: {@code [samples per series, default 30] [warm-up samples, default 5] [tasks per throughput level,
 * default 24]}. The daemon is {@code DOCKER_HOST} when it names a unix or tcp socket, else the default socket.
 */
public final class DockerEngineBench
{
    private static final double GOAL = 0.8;
    private static final List<String> APPLETS = List.of("sh", "true", "false", "echo", "sleep", "cat");

    private DockerEngineBench() {}

    public static void main(String[] args)
            throws Exception
    {
        System.setProperty("org.slf4j.simpleLogger.log.bench.docker", "warn");
        int samples = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int warmUp = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int tasksPerLevel = args.length > 2 ? Integer.parseInt(args[2]) : 24;
        String host = System.getenv("DOCKER_HOST");
        String socket = host != null && (host.startsWith("unix://") || host.startsWith("tcp://")) ? host
                : "unix:///var/run/docker.sock";
        String image = prepareImage();

        Path temp = Files.createTempDirectory("taskyard-bench-docker");
        ResourceTracker tracker = new ResourceTracker();
        ObjectMapper mapper = new ObjectMapper();
        Engine engine = EngineRegistry.load().createEngine("docker", mapper.createObjectNode().put("socket", socket),
                new EngineContext(temp, LoggerFactory.getLogger("bench.docker"),
                        new WorkerIdentity("bench", "docker-bench-1"), tracker));
        ObjectNode payload = mapper.createObjectNode().put("image", image);
        payload.putArray("command").add("true");

        System.out.println("docker engine full life-cycle of `true` vs `docker run --rm --network none "
                + image + " true`, " + samples
                + " interleaved samples each after " + warmUp + " warm-up samples; daemon " + socket);
        for (int i = 0; i < warmUp; i++) {
            EngineRuns.timed(engine, payload, temp, "`true` in the docker engine");
            cliRun(image);
        }
        long[] engineNanos = new long[samples];
        long[] cliNanos = new long[samples];
        for (int i = 0; i < samples; i++) {
            engineNanos[i] = EngineRuns.timed(engine, payload, temp, "`true` in the docker engine");
            cliNanos[i] = cliRun(image);
        }
        double ratio = (double) Percentiles.median(engineNanos) / Percentiles.median(cliNanos);
        print("docker engine life-cycle", engineNanos);
        print("docker run --rm --network none (CLI)", cliNanos);
        System.out.printf(Locale.ROOT, "ratio engine/CLI (medians): %.2f×  goal ≤ %.1f×: %s%n", ratio, GOAL,
                ratio <= GOAL ? "met" : "NOT met");

        System.out.println("throughput of the docker engine, " + tasksPerLevel + " tasks per level:");
        for (int concurrency : new int[] {1, 2, 4}) {
            throughput(engine, payload, temp, concurrency, tasksPerLevel);
        }

        EngineRuns.dispose(engine, tracker, temp, "docker");
    }

    private static long cliRun(String image)
            throws Exception
    {
        long start = System.nanoTime();
        Process process = new ProcessBuilder("docker", "run", "--rm", "--network", "none", image, "true")
                .redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        int exit = process.waitFor();
        long elapsed = System.nanoTime() - start;
        if (exit != 0) {
            throw new IllegalStateException("docker run exited with " + exit + ": " + new String(output));
        }
        return elapsed;
    }

    private static void throughput(Engine engine, ObjectNode payload, Path temp, int concurrency, int tasks)
            throws Exception
    {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicInteger remaining = new AtomicInteger(tasks);
        long start = System.nanoTime();
        try {
            List<Future<Void>> workers = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                workers.add(pool.submit(() -> {
                    while (remaining.getAndDecrement() > 0) {
                        EngineRuns.timed(engine, payload, temp, "`true` in the docker engine");
                    }
                    return null;
                }));
            }
            for (Future<Void> worker : workers) {
                worker.get();
            }
        }
        finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "  %d sandbox%s at once: %6.2f tasks/s  (%d tasks in %.2f s)%n", concurrency,
                concurrency == 1 ? " " : "es", tasks / seconds, tasks, seconds);
    }

    /** Imports a busybox image through the CLI unless it is there already; returns its name. */
    private static String prepareImage()
            throws Exception
    {
        Path busybox = List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox")).stream()
                .filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new IllegalStateException("busybox-static is not installed (apt-get install "
                        + "busybox-static)"));
        byte[] tar = rootFilesystem(busybox);
        String name = "taskyard-bench/busybox:"
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(tar)).substring(0, 16);
        if (new ProcessBuilder("docker", "image", "inspect",
                name).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor() == 0) {
            return name;
        }
        Process process = new ProcessBuilder("docker", "import", "-", name).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(tar);
        }
        if (process.waitFor() != 0) {
            throw new IllegalStateException("docker import of the bench image failed");
        }
        return name;
    }

    private static byte[] rootFilesystem(Path busybox)
            throws IOException
    {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry bin = new TarArchiveEntry("bin/");
            bin.setModTime(0);
            tar.putArchiveEntry(bin);
            tar.closeArchiveEntry();
            byte[] binary = Files.readAllBytes(busybox);
            TarArchiveEntry file = new TarArchiveEntry("bin/busybox");
            file.setMode(0100755);
            file.setSize(binary.length);
            file.setModTime(0);
            tar.putArchiveEntry(file);
            tar.write(binary);
            tar.closeArchiveEntry();
            for (String applet : APPLETS) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarConstants.LF_SYMLINK);
                link.setLinkName("busybox");
                link.setModTime(0);
                tar.putArchiveEntry(link);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static void print(String what, long[] nanos)
    {
        System.out.printf(Locale.ROOT, "%-40s median %8.1f ms   p90 %8.1f ms%n", what + ":",
                Percentiles.median(nanos) / 1e6, Percentiles.of(nanos, 90) / 1e6);
    }
}
