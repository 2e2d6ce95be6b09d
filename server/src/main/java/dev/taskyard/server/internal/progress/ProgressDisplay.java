package dev.taskyard.server.internal.progress;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * Shows a task's state and progress on a CLI's output, from its status monitors ({@code GET /v1/tasks/{id}}).
 * {@link Mode#BAR} (a terminal) keeps one line at the bottom, redrawn in place ({@code \r} and erase-line):
 * {@code RUNNING   [██████░░░░░░░░░░]  45%  0:12  ID}; log lines given to {@link #log} are written above it (whole
 * lines only, so that the bar never splits one). {@link Mode#PLAIN} (a pipe or a file) prints one plain line each time
 * the state or the percent changes: {@code task ID RUNNING 45% 12.0s}. {@link #finish} ends the display with the
 * final state on its own line; later calls of {@link #update} are ignored (a poller may still be answering).
 *
 * <p>Thread-safe: a log copier and a status poller may call it concurrently; every call writes under one lock.
 */
public final class ProgressDisplay
{
    /** How the state is shown. */
    public enum Mode
    {
        BAR, PLAIN;

        /** BAR when standard input and output are a terminal (as {@link System#console()} tells), else PLAIN. */
        public static Mode detect()
        {
            return System.console() != null ? BAR : PLAIN;
        }
    }

    private static final String ERASE_LINE = "\u001b[K";

    private final PrintWriter out;
    private final Mode mode;
    private final int width;
    private final Supplier<Instant> clock;
    private final boolean unicode;
    private final String plainPrefix;
    private final ByteArrayOutputStream partialLine = new ByteArrayOutputStream();
    private JsonNode last;
    private String lastPlain;
    private boolean barShown;
    private boolean finished;

    /**
     * @param width the terminal's width in columns (the bar is fitted to it)
     * @param clock the current time, for the duration of a running task
     * @param plainPrefix put before each PLAIN line (e.g. {@code "taskyard: "} on standard error)
     */
    public ProgressDisplay(PrintWriter out, Mode mode, int width, Supplier<Instant> clock, String plainPrefix)
    {
        this.plainPrefix = requireNonNull(plainPrefix, "plainPrefix is null");
        this.out = requireNonNull(out, "out is null");
        this.mode = requireNonNull(mode, "mode is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.width = Math.max(40, width);
        this.unicode = Charset.defaultCharset().equals(StandardCharsets.UTF_8);
    }

    /** The width of the terminal from {@code $COLUMNS}, else 80. */
    public static int terminalWidth()
    {
        try {
            return Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "80").trim());
        }
        catch (NumberFormatException e) {
            return 80;
        }
    }

    public Mode mode()
    {
        return mode;
    }

    /** Shows the task's current status monitor. */
    public synchronized void update(JsonNode task)
    {
        requireNonNull(task, "task is null");
        if (finished) {
            return;
        }
        last = task;
        if (mode == Mode.BAR) {
            drawBar();
            return;
        }
        String line = plainLine(task, clock.get());
        String key = task.path("status").asText() + " " + task.path("progress_percent").asInt();
        if (!key.equals(lastPlain)) {
            lastPlain = key;
            out.println(plainPrefix + line);
            out.flush();
        }
    }

    /**
     * Writes log bytes above the bar (BAR mode; whole lines only, the rest when its line ends or at {@link #finish}).
     * In PLAIN mode the caller writes the log itself and this is not called.
     */
    public synchronized void log(byte[] bytes, int offset, int length)
    {
        if (finished) {
            out.print(new String(bytes, offset, length, StandardCharsets.UTF_8));
            out.flush();
            return;
        }
        int start = offset;
        int end = offset + length;
        StringBuilder lines = new StringBuilder();
        for (int i = offset; i < end; i++) {
            if (bytes[i] == '\n') {
                partialLine.write(bytes, start, i + 1 - start);
                lines.append(partialLine.toString(StandardCharsets.UTF_8));
                partialLine.reset();
                start = i + 1;
            }
        }
        partialLine.write(bytes, start, end - start);
        if (!lines.isEmpty()) {
            clearBar();
            out.print(lines);
            drawBar();
        }
    }

    /** Ends the display: what is left of the log, and the final state on a line of its own. */
    public synchronized void finish(JsonNode task)
    {
        requireNonNull(task, "task is null");
        if (finished) {
            return;
        }
        if (mode == Mode.PLAIN) {
            update(task);
            finished = true;
            return;
        }
        finished = true;
        last = task;
        clearBar();
        if (partialLine.size() > 0) {
            out.println(partialLine.toString(StandardCharsets.UTF_8));
            partialLine.reset();
        }
        out.println(barLine(task, width, clock.get(), unicode));
        out.flush();
    }

    private void clearBar()
    {
        if (barShown) {
            out.print("\r" + ERASE_LINE);
            barShown = false;
        }
    }

    private void drawBar()
    {
        if (last == null) {
            out.flush();
            return;
        }
        out.print("\r" + barLine(last, width, clock.get(), unicode) + ERASE_LINE);
        out.flush();
        barShown = true;
    }

    /** {@code RUNNING   [██████░░░░]  45%  0:12  ID}, at most {@code width - 1} columns. */
    public static String barLine(JsonNode task, int width, Instant now, boolean unicode)
    {
        String status = task.path("status").asText("?");
        int percent = Math.max(0, Math.min(100, task.path("progress_percent").asInt(0)));
        String id = task.path("task_id").asText();
        String time = clock(elapsed(task, now));
        String tail = String.format(" %3d%%  %s  %s", percent, time, id);
        String head = String.format("%-9s [", status);
        int barWidth = Math.max(10, Math.min(40, width - 1 - head.length() - 1 - tail.length()));
        int filled = percent * barWidth / 100;
        String bar = (unicode ? "█" : "#").repeat(filled) + (unicode ? "░" : "-").repeat(barWidth - filled);
        String line = head + bar + "]" + tail;
        return line.length() > width - 1 ? line.substring(0, width - 1) : line;
    }

    /** {@code task ID RUNNING 45% 12.0s}. */
    public static String plainLine(JsonNode task, Instant now)
    {
        Duration elapsed = elapsed(task, now);
        return "task " + task.path("task_id").asText() + " " + task.path("status").asText() + " "
                + task.path("progress_percent").asInt(0) + "%"
                + (elapsed == null ? "" : String.format(" %.1fs", elapsed.toMillis() / 1000.0));
    }

    /** How long the task has run (until it ended), or null before it started. */
    static Duration elapsed(JsonNode task, Instant now)
    {
        if (!task.path("started_at").isTextual()) {
            return null;
        }
        Instant started = Instant.parse(task.path("started_at").asText());
        Instant end = task.path("completed_at").isTextual() ? Instant.parse(task.path("completed_at").asText()) : now;
        return end.isBefore(started) ? Duration.ZERO : Duration.between(started, end);
    }

    /** {@code 0:07}, {@code 12:03}, {@code 1:02:03}; {@code -:--} before the task started. */
    static String clock(Duration elapsed)
    {
        if (elapsed == null) {
            return "-:--";
        }
        long seconds = elapsed.toSeconds();
        return seconds >= 3600 ? String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format("%d:%02d", seconds / 60, seconds % 60);
    }
}
