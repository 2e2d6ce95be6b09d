package dev.taskyard.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code taskyard submit --follow} and {@code taskyard status --watch} of the real jar: a progress bar with the state
 * when standard output is a terminal (a pseudo-terminal made by util-linux {@code script}), plain lines otherwise.
 */
class ProgressCliIT
{
    private static final Path SCRIPT = Path.of("/usr/bin/script");
    private static final String TASK = "echo one; echo ::progress 50; sleep 1.5; echo two; echo ::progress 100";
    /** Holds 50 % until the file named by its first argument exists (the test creates it once the watcher saw 50 %). */
    private static final String GATED_TASK = "echo one; echo ::progress 50; "
            + "while [ ! -e \\\"$0\\\" ]; do sleep 0.05; done; echo two; echo ::progress 100";

    @TempDir
    static Path temp;
    static TaskyardServer server;

    record Outcome(int exitCode, String stdout, String stderr) {}

    @BeforeAll
    static void start()
            throws Exception
    {
        server = TaskyardServer.start(temp.resolve("data"));
    }

    @AfterAll
    static void stop()
            throws Exception
    {
        if (server != null) {
            server.close();
        }
    }

    private static List<String> command(String... args)
    {
        Path jar = Path.of(System.getProperty("taskyard.jar", "target/taskyard.jar"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
                jar.toString(), args[0], "--server", server.baseUrl, "--token", server.token));
        command.addAll(List.of(args).subList(1, args.length));
        return command;
    }

    /** Runs the command with its output in files (no terminal), and no input. */
    private static Outcome run(List<String> command)
            throws Exception
    {
        return run(command, null, null);
    }

    /**
     * Runs the command with its output in files (no terminal), and no input; once its standard output contains
     * {@code seen} (if given), creates the file {@code gate}.
     */
    private static Outcome run(List<String> command, String seen, Path gate)
            throws Exception
    {
        Path out = Files.createTempFile(temp, "stdout", ".txt");
        Path err = Files.createTempFile(temp, "stderr", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("COLUMNS", "100");
        Process process = builder.start();
        if (seen != null) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.readString(out).contains(seen) && process.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Files.createFile(gate);
        }
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not end within 120 s");
        }
        return new Outcome(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Runs the CLI with its standard input and output on a pseudo-terminal (stderr and stdout both end up in stdout).
     * */
    private static Outcome inTerminal(String... args)
            throws Exception
    {
        if (!Files.isExecutable(SCRIPT)) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI=true but " + SCRIPT + " (util-linux) is missing");
            }
            Assumptions.abort(SCRIPT + " (util-linux) is missing: no pseudo-terminal to test the progress bar on");
        }
        String line = command(args).stream().map(a -> "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
        return run(List.of(SCRIPT.toString(), "-qefc", line, "/dev/null"));
    }

    @Test
    void submitFollowShowsABarOnATerminalAndPlainLinesOtherwise()
            throws Exception
    {
        Outcome terminal = inTerminal("submit", "--follow", "--", "sh", "-c", TASK);
        assertThat(terminal.exitCode()).as(terminal.stdout()).isZero();
        String screen = terminal.stdout().replace("\r\n", "\n");
        // the bar is redrawn in place (carriage return, erase line) with the state and the percent
        assertThat(screen).contains("\rRUNNING   [").contains("  50%").contains("\u001b[K");
        assertThat(screen).contains("one\n").contains("two\n");
        String last = screen.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElseThrow();
        assertThat(last).contains("COMPLETED [").contains("100%");

        Outcome piped = run(command("submit", "--follow", "--", "sh", "-c", TASK));
        assertThat(piped.exitCode()).as(piped.stderr()).isZero();
        assertThat(piped.stdout()).as("the bare log").isEqualTo("one\n::progress 50\ntwo\n::progress 100\n");
        assertThat(piped.stderr()).doesNotContain("\r", "\u001b").containsPattern("taskyard: task \\S+ RUNNING 50%")
                .containsPattern("taskyard: task \\S+ COMPLETED 100%");
    }

    @Test
    void statusWatchFollowsATaskUntilItEnds()
            throws Exception
    {
        Path gate = temp.resolve("gate-" + System.nanoTime());
        String id = server.submit("{\"command\":[\"sh\",\"-c\",\"" + GATED_TASK + "\",\"" + gate + "\"]}");
        // the watcher is a JVM started after the submit: the task holds 50 % until the watcher has shown it
        Outcome piped = run(command("status", "--watch", id), "task " + id + " RUNNING 50%", gate);
        assertThat(piped.exitCode()).as(piped.stderr()).isZero();
        assertThat(piped.stdout()).doesNotContain("\r", "\u001b").contains("task " + id + " RUNNING 50%");
        assertThat(piped.stdout().lines().reduce((a, b) -> b).orElseThrow())
                .startsWith("task " + id + " COMPLETED 100%");

        String failing = server.submit("{\"command\":[\"sh\",\"-c\",\"echo ::progress 30; sleep 5; exit 4\"]}");
        Outcome terminal = inTerminal("status", "--watch", failing);
        assertThat(terminal.exitCode()).as("the task's exit code, as submit --wait").isEqualTo(4);
        assertThat(terminal.stdout()).contains("\u001b[K").containsPattern("\r(RUNNING|PENDING) +\\[")
                .contains("FAILED    [");
    }
}
