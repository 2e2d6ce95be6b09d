package dev.taskyard.server.internal.http;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.taskyard.store.TaskStore;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /v1/tasks/{task_id}/log}: the log of the task's latest run as {@code text/plain}, followed live until the
 * run ends. {@code Range: bytes=N-} resumes from byte N with 206 (the length of a live log is unknown, so the
 * {@code Content-Range} is {@code bytes N-* /*}); other range forms are ignored (200, whole log), as RFC 9110 allows.
 */
public final class LogResource
{
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{1,18})-");

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
        TaskResource.find(store, taskId);
        long offset = 0;
        String range = exchange.header("Range");
        if (range != null) {
            Matcher matcher = RANGE.matcher(range.trim());
            if (matcher.matches()) {
                offset = Long.parseLong(matcher.group(1));
            }
        }
        long from = offset;
        Map<String, String> headers = offset > 0
                ? Map.of("Content-Range", "bytes " + offset + "-*/*", "Accept-Ranges", "bytes", "Cache-Control", "no-cache")
                : Map.of("Accept-Ranges", "bytes", "Cache-Control", "no-cache");
        streamer.stream(exchange, offset > 0 ? 206 : 200, "text/plain; charset=utf-8", headers, () -> store.openLog(taskId, from));
    }
}
