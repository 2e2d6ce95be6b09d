package dev.taskyard.server.internal.progress;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressDisplayTest
{
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-04T10:00:12Z");

    static JsonNode task(String status, int percent)
    {
        ObjectNode task = JSON.createObjectNode().put("task_id", "T1").put("status", status)
                .put("progress_percent", percent);
        if (!status.equals("PENDING")) {
            task.put("started_at", "2026-12-04T10:00:00Z");
        }
        if (TaskWatch.TERMINAL.contains(status)) {
            task.put("completed_at", "2026-12-04T10:00:09Z");
        }
        return task;
    }

    @Test
    void theBarIsRedrawnInPlaceBelowWholeLogLines()
    {
        StringWriter text = new StringWriter();
        ProgressDisplay display =
                new ProgressDisplay(new PrintWriter(text), ProgressDisplay.Mode.BAR, 80, () -> NOW, "");
        display.update(task("PENDING", 0));
        assertThat(text.toString()).startsWith("\rPENDING   [").contains("   0%  -:--  T1\u001b[K");
        display.log(bytes("step 1\nhal"), 0, 10);
        display.update(task("RUNNING", 45));
        display.log(bytes("f\n"), 0, 2);
        display.finish(task("COMPLETED", 100));
        String out = text.toString();
        // each log line is written after erasing the bar, and the bar comes back below it
        assertThat(out).contains("\r\u001b[Kstep 1\n\rPENDING ");
        assertThat(out).contains("\rRUNNING   [").contains("  45%  0:12  T1");
        assertThat(out).contains("\r\u001b[Khalf\n\rRUNNING ");
        String full = java.nio.charset.Charset.defaultCharset().equals(StandardCharsets.UTF_8) ? "█" : "#";
        assertThat(out).endsWith("\r\u001b[KCOMPLETED [" + full.repeat(barWidth(out)) + "] 100%  0:09  T1\n");
        // after finish nothing is redrawn (a poller may still answer)
        display.update(task("RUNNING", 50));
        assertThat(text.toString()).isEqualTo(out);
    }

    private static int barWidth(String out)
    {
        String last = out.substring(out.lastIndexOf("COMPLETED ["));
        return last.indexOf(']') - "COMPLETED [".length();
    }

    @Test
    void theBarFitsTheTerminalAndShowsThePercent()
    {
        for (int width : List.of(40, 60, 80, 200)) {
            String line = ProgressDisplay.barLine(task("RUNNING", 50), width, NOW, true);
            assertThat(line.length()).as("width %d: %s", width, line).isLessThan(width);
            assertThat(line).contains(" 50%");
            int filled = (int) line.chars().filter(c -> c == '█').count();
            int empty = (int) line.chars().filter(c -> c == '░').count();
            assertThat(filled).isEqualTo((filled + empty) / 2);
        }
        assertThat(ProgressDisplay.barLine(task("RUNNING", 30), 80, NOW, false)).contains("[######").contains("-----]");
        assertThat(ProgressDisplay.clock(java.time.Duration.ofSeconds(3723))).isEqualTo("1:02:03");
        assertThat(ProgressDisplay.clock(java.time.Duration.ofSeconds(75))).isEqualTo("1:15");
    }

    @Test
    void plainModePrintsALinePerChangeAndNoControlCharacters()
    {
        StringWriter text = new StringWriter();
        ProgressDisplay display =
                new ProgressDisplay(new PrintWriter(text), ProgressDisplay.Mode.PLAIN, 80, () -> NOW, "taskyard: ");
        display.update(task("PENDING", 0));
        display.update(task("PENDING", 0));
        display.update(task("RUNNING", 20));
        display.update(task("RUNNING", 20));
        display.update(task("RUNNING", 60));
        display.finish(task("FAILED", 60));
        assertThat(text.toString()).isEqualTo("""
                taskyard: task T1 PENDING 0%
                taskyard: task T1 RUNNING 20% 12.0s
                taskyard: task T1 RUNNING 60% 12.0s
                taskyard: task T1 FAILED 60% 9.0s
                """);
    }

    @Test
    void aWatchFollowsTheTaskUntilItEnds()
    {
        List<JsonNode> answers = new ArrayList<>(List.of(task("PENDING", 0), task("RUNNING", 10), task("RUNNING", 90),
                task("COMPLETED", 100)));
        List<Integer> waits = new ArrayList<>();
        StringWriter text = new StringWriter();
        ProgressDisplay display =
                new ProgressDisplay(new PrintWriter(text), ProgressDisplay.Mode.PLAIN, 80, () -> NOW, "");
        JsonNode end = TaskWatch.untilEnd(wait -> {
            waits.add(wait);
            return answers.remove(0);
        }, display, 30);
        assertThat(end.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(waits).containsExactly(0, 30, 30, 30);
        assertThat(text.toString().lines()).hasSize(4);
    }

    @Test
    void concurrentLogAndUpdatesNeverSplitALine()
            throws Exception
    {
        StringWriter text = new StringWriter();
        ProgressDisplay display =
                new ProgressDisplay(new PrintWriter(text), ProgressDisplay.Mode.BAR, 80, () -> NOW, "");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        try {
            Future<?> logger = pool.submit(() -> {
                go.await();
                for (int i = 0; i < 500; i++) {
                    byte[] line = bytes("line " + i + " of the log\n");
                    display.log(line, 0, 5);
                    display.log(line, 5, line.length - 5);
                }
                return null;
            });
            Future<?> poller = pool.submit(() -> {
                go.await();
                for (int i = 0; i < 500; i++) {
                    display.update(task("RUNNING", i % 100));
                }
                return null;
            });
            go.countDown();
            logger.get();
            poller.get();
        }
        finally {
            pool.shutdownNow();
        }
        display.finish(task("COMPLETED", 100));
        // split at \n only: the bar's \r is part of a line on a terminal
        List<String> logLines = java.util.Arrays.stream(text.toString().split("\n"))
                .map(l -> l.substring(l.contains("\u001b[K") ? l.lastIndexOf("\u001b[K") + 3 : 0))
                .filter(l -> l.startsWith("line ")).toList();
        assertThat(logLines).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(logLines.get(i)).isEqualTo("line " + i + " of the log");
        }
    }

    private static byte[] bytes(String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
