package dev.taskyard.engine.testkit;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The contract kit for engines whose payload runs a command line: every payload {@link EngineContractTest} asks for is
 * written once here as a command for a POSIX {@code sh} world ({@code sh}, {@code printf}, {@code sleep},
 * {@code true}, {@code mkdir} on the task's {@code PATH}; busybox will do), so an engine author supplies only
 * {@link #commandPayload(List)} and where files land:
 * <pre>{@code
 * class ProcessEngineContractTest extends CommandEngineContractTest {
 *     protected String engineName() { return "process"; }
 *     protected String commandPayload(List<String> argv) { return "{\"command\": " + toJsonArray(argv) + "}"; }
 *     protected String invalidArtifactPath() { return "../outside.txt"; }
 *     …
 * }
 * }</pre>
 * The artifact files are written below {@link #artifactFolder()}: {@code hello.txt}, {@code sub/a.txt} and
 * {@code sub/deeper/b.txt}, each holding {@link #FILE_TEXT}.
 */
public abstract class CommandEngineContractTest
        extends EngineContractTest
{
    /** The text every file of {@link #writeFilesPayload()} holds. */
    protected static final String FILE_TEXT = "kit-artifact-text";

    /** The files below {@link #artifactFolder()}, relative and {@code /}-separated. */
    protected static final Set<String> NESTED_FILES = Set.of("hello.txt", "sub/a.txt", "sub/deeper/b.txt");

    /** A payload that runs {@code argv} (the program looked up in the task's {@code PATH}) and nothing else. */
    protected abstract String commandPayload(List<String> argv);

    /**
     * The payload of the command that writes the artifact files; defaults to {@link #commandPayload(List)}. Override
     * when the engine must be told in the payload which files to keep.
     */
    protected String writeFilesPayload(List<String> argv)
    {
        return commandPayload(argv);
    }

    /**
     * Where the command writes the artifact files, as the command sees it and as {@code extractFile} names it:
     * {@code folder} (relative to the task's working folder, the default) or an absolute {@code /folder}.
     */
    protected String artifactFolder()
    {
        return "folder";
    }

    /** An artifact path in the wrong form for the engine, or escaping the sandbox: {@code ../outside.txt}, say. */
    protected String invalidArtifactPath()
    {
        throw notProvided("invalidArtifactPath", EngineBehavior.SUPPORTS_ARTIFACTS);
    }

    @Override
    protected String targetPayload(String target)
    {
        return command("sh", "-c", "printf '%s\\n' \"$1\"", "sh", target);
    }

    @Override
    protected String failingTargetPayload(String target)
    {
        return command("sh", "-c", "printf '%s\\n' \"$1\"; exit 3", "sh", target);
    }

    @Override
    protected String silentPayload()
    {
        return command("true");
    }

    @Override
    protected String sleepPayload(Duration duration)
    {
        return command("sleep", seconds(duration));
    }

    @Override
    protected String targetThenSleepPayload(String target, Duration duration)
    {
        return command("sh", "-c", "printf '%s\\n' \"$1\"; exec sleep \"$2\"", "sh", target, seconds(duration));
    }

    @Override
    protected String exitPayload(int code)
    {
        return command("sh", "-c", "exit " + code);
    }

    @Override
    protected Optional<String> symbolicLinksPayload(String file, String folder)
    {
        return Optional.of(writeFilesPayload(List.of("sh", "-c", String.join(" && ",
                "mkdir -p \"$1\"",
                "ln -s \"$2\" \"$1/" + LINK_TO_FILE + "\"",
                "ln -s \"$3\" \"$1/" + LINK_TO_FOLDER + "\""), "sh", artifactFolder(), file, folder)));
    }

    @Override
    protected String lastLineWithoutNewlinePayload(String text)
    {
        return command("printf", "%s", text);
    }

    @Override
    protected String printEnvironmentVariablePayload(String name)
    {
        // the name is a valid variable name (the kit checks invalid ones separately); busybox has no printenv
        return command("sh", "-c", "printf '%s\\n' \"$" + name + "\"");
    }

    @Override
    protected String writeFilesPayload()
    {
        return writeFilesPayload(List.of("sh", "-c", String.join(" && ",
                "mkdir -p \"$1/sub/deeper\"",
                "printf '%s\\n' \"$2\" > \"$1/hello.txt\"",
                "printf '%s\\n' \"$2\" > \"$1/sub/a.txt\"",
                "printf '%s\\n' \"$2\" > \"$1/sub/deeper/b.txt\""), "sh", artifactFolder(), FILE_TEXT));
    }

    @Override
    protected ArtifactLayout artifactLayout()
    {
        String folder = artifactFolder();
        return new ArtifactLayout(FILE_TEXT, folder + "/hello.txt", folder + "/missing.txt", folder
                + "-missing", folder, NESTED_FILES, invalidArtifactPath());
    }

    /** {@link #commandPayload(List)} of the arguments. */
    protected final String command(String... argv)
    {
        return commandPayload(List.of(argv));
    }

    /** A duration as {@code sleep} takes it: seconds with three decimals. */
    protected static String seconds(Duration duration)
    {
        return BigDecimal.valueOf(duration.toMillis(), 3).toPlainString();
    }
}
