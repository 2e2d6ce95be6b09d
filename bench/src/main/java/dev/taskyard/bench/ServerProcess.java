package dev.taskyard.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real server for a benchmark: {@code java -jar server/target/taskyard.jar serve --port 0} as a separate process on
 * 127.0.0.1 with the given config and the JVM options the {@code taskyard} launcher gives it ({@link #javaOptions}),
 * its base URL and bearer token read back from its output. {@link #close()} stops it with SIGTERM (SIGKILL after
 * 30 s).
 */
final class ServerProcess
        implements AutoCloseable
{
    private static final Pattern LISTENING = Pattern.compile("taskyard: listening on (http://127\\.0\\.0\\.1:\\d+)");
    private static final Pattern COLLECTOR = Pattern.compile("-XX:\\+Use[A-Za-z0-9]+GC");
    private static final Pattern TOKEN = Pattern.compile("taskyard: bearer token (?:generated in|read from) (.+)");

    private final Process process;
    private final String baseUrl;
    private final String token;
    private final StringBuffer stderr;
    private final HttpClient client =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

    private ServerProcess(Process process, String baseUrl, String token, StringBuffer stderr)
    {
        this.process = process;
        this.baseUrl = baseUrl;
        this.token = token;
        this.stderr = stderr;
    }

    /** The shaded jar, looked up from the repository root or the bench module. */
    static Path locateJar()
    {
        for (Path candidate : List.of(Path.of("server/target/taskyard.jar"),
                Path.of("../server/target/taskyard.jar"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("server/target/taskyard.jar not found from " + Path.of("").toAbsolutePath()
                + ": build it first (bench/run does) and run from the repository root");
    }

    /**
     * The JVM options of a server started from {@code jar} ({@code …/server/target/taskyard.jar}), as the
     * {@code taskyard} launcher gives them: those of {@code server/jvm.options} (one per line, {@code #} comments;
     * none when the file is missing), then {@code extra} (whitespace-separated, may be null); a collector chosen in
     * {@code extra} ({@code -XX:+Use…GC}) replaces the file's, since the JVM refuses two.
     */
    static List<String> javaOptions(Path jar, String extra)
            throws IOException
    {
        List<String> added = extra == null || extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
        boolean collectorAdded = added.stream().anyMatch(option -> COLLECTOR.matcher(option).matches());
        List<String> options = new ArrayList<>();
        Path defaults = jar.toAbsolutePath().getParent().getParent().resolve("jvm.options");
        if (Files.isRegularFile(defaults)) {
            for (String line : Files.readAllLines(defaults)) {
                int comment = line.indexOf('#');
                String option = (comment < 0 ? line : line.substring(0, comment)).strip();
                if (!option.isEmpty() && !(collectorAdded && COLLECTOR.matcher(option).matches())) {
                    options.add(option);
                }
            }
        }
        options.addAll(added);
        return options;
    }

    /** Starts {@code serve} with {@code config} (YAML) in {@code folder} and waits until it listens. */
    static ServerProcess start(Path jar, Path folder, String config)
            throws Exception
    {
        Files.createDirectories(folder);
        Path configFile = folder.resolve("config.yaml");
        Files.writeString(configFile, config);
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        // the distribution's options, as the launcher gives them, then BENCH_SERVER_JAVA_OPTS (e.g.
        // -XX:StartFlightRecording=filename=server.jfr to profile the server)
        command.addAll(javaOptions(jar, System.getenv("BENCH_SERVER_JAVA_OPTS")));
        command.addAll(List.of("-jar", jar.toString(),
                "serve", "--data", folder.resolve("data").toString(), "--config", configFile.toString(), "--host",
                        "127.0.0.1", "--port", "0"));
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        StringBuffer err = new StringBuffer();
        daemon("taskyard-stderr", () -> drain(process, err));
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        daemon("taskyard-stdout", () -> {
            try (BufferedReader in =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            }
            catch (IOException e) {
                // the process ended
            }
        });
        String url = null;
        Path tokenFile = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((url == null || tokenFile == null) && System.nanoTime() < end && process.isAlive()) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            Matcher listening = LISTENING.matcher(line);
            if (listening.matches()) {
                url = listening.group(1);
            }
            Matcher tokenLine = TOKEN.matcher(line);
            if (tokenLine.matches()) {
                tokenFile = Path.of(tokenLine.group(1));
            }
        }
        if (url == null || tokenFile == null) {
            process.destroyForcibly();
            throw new IllegalStateException("taskyard serve did not start within 60 s: " + err);
        }
        String token = Files.readAllLines(tokenFile).stream().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no token in the token file"));
        return new ServerProcess(process, url, token, err);
    }

    String baseUrl()
    {
        return baseUrl;
    }

    String token()
    {
        return token;
    }

    /** A request to {@code path} with the bearer token and a 30 s timeout. */
    HttpRequest.Builder request(String path)
    {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
    }

    /** The Prometheus text of {@code /metrics}. */
    String metrics()
            throws Exception
    {
        return client.send(request("/metrics").GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The body of a GET of {@code path} (with the bearer token); fails unless the status is 200. */
    String get(String path)
            throws Exception
    {
        HttpResponse<String> response = client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /** The value of the gauge {@code name} in {@code metrics}, 0 when absent. */
    static double gauge(String metrics, String name)
    {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        return 0;
    }

    /** How many tasks the store holds in {@code state}, from {@code /metrics}. */
    double tasksIn(String state)
            throws Exception
    {
        return gauge(metrics(), "taskyard_tasks{state=\"" + state + "\"}");
    }

    /** What the server wrote to its standard error (at most 100,000 characters). */
    String stderr()
    {
        return stderr.toString();
    }

    private static void daemon(String name, Runnable body)
    {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    private static void drain(Process process, StringBuffer err)
    {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (err.length() < 100_000) {
                    err.append(line).append('\n');
                }
            }
        }
        catch (IOException e) {
            // the process ended
        }
    }

    @Override
    public void close()
            throws Exception
    {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            System.out.println("  (the server did not stop within 30 s of SIGTERM; killing it)");
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
