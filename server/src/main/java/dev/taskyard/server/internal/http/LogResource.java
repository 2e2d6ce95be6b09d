package dev.taskyard.server.internal.http;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.taskyard.store.TaskStore;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /v1/tasks/{task_id}/log}: the log of the task's latest run as {@code text/plain}, followed live until the
 * run ends. {@code Range: bytes=N-} resumes from byte N with 206: for an ended task with its exact
 * {@code Content-Range: bytes N-L/T} (416 with {@code bytes * /T} when N is past the end); for a live log, whose
 * length is not known yet, streamed with {@code Content-Range: bytes N-* /*}. Other range forms are ignored (200,
 * whole log), as RFC 9110 allows.
 */
public final class LogResource
{
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{1,18})-");
    /** The most of an ended log's remainder answered with an exact Content-Range (read into memory). */
    static final int MAX_EXACT_RANGE = 16 * 1024 * 1024;

    private final TaskStore store;
    private final Streamer streamer;

    public LogResource(TaskStore store, Streamer streamer)
    {
        this.store = requireNonNull(store, "store is null");
        this.streamer = requireNonNull(streamer, "streamer is null");
    }

    public void get(Exchange exchange, List<String> parameters)
            throws Exception
    {
        String taskId = parameters.get(0);
        dev.taskyard.store.TaskRecord task = TaskResource.find(store, taskId);
        long offset = 0;
        String range = exchange.header("Range");
        if (range != null) {
            Matcher matcher = RANGE.matcher(range.trim());
            if (matcher.matches()) {
                offset = Long.parseLong(matcher.group(1));
            }
        }
        long from = offset;
        if (offset > 0 && task.status().isTerminal()) {
            streamer.run(exchange, () -> exactRange(exchange, taskId, from));
            return;
        }
        Map<String, String> headers = offset > 0
                ? Map.of("Content-Range", "bytes " + offset + "-*/*", "Accept-Ranges", "bytes",
                        "Cache-Control", "no-cache")
                : Map.of("Accept-Ranges", "bytes", "Cache-Control", "no-cache");
        streamer.stream(exchange, offset > 0 ? 206 : 200, "text/plain; charset=utf-8", headers,
                () -> store.openLog(taskId, from));
    }

    private void exactRange(Exchange exchange, String taskId, long from)
            throws Exception
    {
        byte[] rest;
        try (java.io.InputStream in = store.openLog(taskId, 0)) {
            long skipped = in.skip(from);
            while (skipped < from) {
                long more = in.skip(from - skipped);
                if (more <= 0) {
                    if (in.read() < 0) {
                        break;
                    }
                    more = 1;
                }
                skipped += more;
            }
            if (skipped < from) {
                exchange.sendProblem(ApiProblem.of(416, "range-not-satisfiable", "Range Not Satisfiable",
                        "the log has " + skipped + " bytes")
                        .withHeader("Content-Range", "bytes */" + skipped));
                return;
            }
            rest = in.readNBytes(MAX_EXACT_RANGE + 1);
        }
        if (rest.length > MAX_EXACT_RANGE) {
            streamer.stream(exchange, 206, "text/plain; charset=utf-8",
                    Map.of("Content-Range", "bytes " + from + "-*/*", "Accept-Ranges", "bytes"),
                    () -> store.openLog(taskId, from));
            return;
        }
        if (rest.length == 0) {
            exchange.sendProblem(ApiProblem.of(416, "range-not-satisfiable", "Range Not Satisfiable",
                    "the log has " + from + " bytes")
                    .withHeader("Content-Range", "bytes */" + from));
            return;
        }
        long last = from + rest.length - 1;
        exchange.send(206, "text/plain; charset=utf-8", rest,
                Map.of("Content-Range", "bytes " + from + "-" + last + "/" + (last + 1), "Accept-Ranges", "bytes"));
    }
}
