package dev.taskyard.server;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.server.internal.ServeCommand;

/**
 * The real {@code taskyard serve} (the shaded jar) as a separate process on a free loopback port ({@code --port 0},
 * read back from its output), with a data folder of the test's choosing; and an HTTP client for it.
 */
final class TaskyardServer
        implements AutoCloseable
{
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("taskyard: listening on (http://127\\.0\\.0\\.1:\\d+)");
    private static final Pattern TOKEN = Pattern.compile("taskyard: bearer token (?:generated in|read from) (.+)");

    final Process process;
    final String baseUrl;
    final Path tokenFile;
    final String token;
    final StringBuffer stderr;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private TaskyardServer(Process process, String baseUrl, Path tokenFile, StringBuffer stderr)
            throws IOException
    {
        this.stderr = stderr;
        this.process = process;
        this.baseUrl = baseUrl;
        this.tokenFile = tokenFile;
        this.token = Files.readAllLines(tokenFile).stream().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).findFirst().orElseThrow();
    }

    /** Starts {@code taskyard serve --data DATA --port 0 [extra…]} and waits until it listens. */
    static TaskyardServer start(Path data, String... extra)
            throws Exception
    {
        return startOnPort(data, 0, extra);
    }

    /** Starts {@code taskyard serve --data DATA --port PORT [extra…]} (to restart a server where it was) and waits
     * until it listens. */
    static TaskyardServer startOnPort(Path data, int port, String... extra)
            throws Exception
    {
        return startOnPort(data, port, java.util.Map.of(), extra);
    }

    /** {@link #startOnPort(Path, int, String...)} with extra environment variables (e.g. {@code TASKYARD_LOG_LEVEL}).
     * */
    static TaskyardServer startOnPort(Path data, int port, java.util.Map<String, String> environment, String... extra)
            throws Exception
    {
        List<String> arguments = new ArrayList<>(List.of(extra));
        if (!arguments.contains("--config")) {
            arguments.addAll(List.of("--config", unisolatedDefaultConfig().toString()));
        }
        return launch(data, port, environment, arguments);
    }

    /**
     * Starts {@code taskyard serve} with no config at all, i.e. with serve's real default (tasks isolated as far as the
     * host allows); every other start without {@code --config} gets {@link #unisolatedDefaultConfig()}.
     */
    static TaskyardServer startWithRealDefault(Path data)
            throws Exception
    {
        return launch(data, 0, java.util.Map.of(), List.of());
    }

    /**
     * Serve's default config with the process engine unisolated ({@code runAs: server}, {@code cgroups: off}): the
     * tests that start servers without a config hand their tasks gate and ledger files in the test's own temporary
     * folders (mode 700), which a fresh task account cannot reach. {@code DefaultIsolationIT} covers the real default.
     */
    static Path unisolatedDefaultConfig()
            throws IOException
    {
        ObjectNode config = ServeCommand.defaultConfig();
        ((ObjectNode) config.get("engines").get("process")).put("runAs", "server").put("cgroups", "off");
        Path file = Files.createTempFile("taskyard-it-config-", ".json");
        file.toFile().deleteOnExit();
        Files.writeString(file, config.toString());
        return file;
    }

    private static TaskyardServer launch(Path data, int port, java.util.Map<String, String> environment,
            List<String> extra)
            throws Exception
    {
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        List<String> command =
                new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar", jar.toString(),
                "serve", "--data", data.toString(), "--host", "127.0.0.1", "--port", Integer.toString(port)));
        command.addAll(extra);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        StringBuffer err = new StringBuffer();
        CompletableFuture.runAsync(() -> drain(process, err));
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
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
        reader.setDaemon(true);
        reader.start();
        String url = null;
        Path tokenFile = null;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ((url == null || tokenFile == null) && System.nanoTime() < end) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line == null) {
                if (!process.isAlive()) {
                    throw new AssertionError("taskyard serve ended with " + process.exitValue() + ": " + err);
                }
                continue;
            }
            Matcher listening = LISTENING.matcher(line);
            if (listening.matches()) {
                url = listening.group(1);
            }
            Matcher token = TOKEN.matcher(line);
            if (token.matches()) {
                tokenFile = Path.of(token.group(1));
            }
        }
        if (url == null || tokenFile == null) {
            process.destroyForcibly();
            throw new AssertionError("taskyard serve did not start within 60 s: " + err);
        }
        return new TaskyardServer(process, url, tokenFile, err);
    }

    private static void drain(Process process, StringBuffer err)
    {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                err.append(line).append('\n');
            }
        }
        catch (IOException e) {
            // the process ended
        }
    }

    HttpRequest.Builder request(String path)
    {
        return HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(90))
                .header("Authorization", "Bearer " + token);
    }

    HttpResponse<String> send(HttpRequest request)
            throws Exception
    {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path)
            throws Exception
    {
        return send(request(path).GET().build());
    }

    HttpResponse<String> post(String path, String json)
            throws Exception
    {
        return send(request(path).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** Submits a payload and returns the task id. */
    String submit(String payload)
            throws Exception
    {
        HttpResponse<String> response = post("/v1/tasks", payload);
        if (response.statusCode() != 202) {
            throw new AssertionError("submit answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body()).path("task_id").asText();
    }

    JsonNode task(String taskId)
            throws Exception
    {
        return JSON.readTree(get("/v1/tasks/" + taskId).body());
    }

    /** Long-polls the task until it is terminal (bounded by {@code timeout}). */
    JsonNode awaitTerminal(String taskId, Duration timeout)
            throws Exception
    {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode task = JSON.readTree(get("/v1/tasks/" + taskId + "?wait=5").body());
            String status = task.path("status").asText();
            if (List.of("COMPLETED", "FAILED", "CANCELED").contains(status)) {
                return task;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("task " + taskId + " still " + status + " after " + timeout
                        + "; server log:\n" + stderr);
            }
        }
    }

    /** Every task as (id → status) text, newest first, through the paged listing. */
    List<String> listAll()
            throws Exception
    {
        List<String> all = new ArrayList<>();
        String token = null;
        do {
            JsonNode page = JSON.readTree(get("/v1/tasks?page_size=100"
                    + (token == null ? "" : "&page_token=" + token)).body());
            page.path("tasks").forEach(t -> all.add(t.path("task_id").asText() + "=" + t.path("status").asText()));
            token = page.path("next_page_token").isTextual() ? page.path("next_page_token").asText() : null;
        } while (token != null);
        return all;
    }

    /** SIGKILL. */
    void kill()
            throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits for the exit code. */
    int stop()
            throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("taskyard serve did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    /** Stops the server gracefully (SIGTERM, so that the worker stops its tasks' processes), SIGKILL after 30 s. */
    @Override
    public void close()
            throws InterruptedException
    {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
