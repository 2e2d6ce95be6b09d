package dev.taskyard.engine.process;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import dev.taskyard.engine.testkit.ShellScript;
import org.junit.jupiter.api.BeforeAll;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine contract kit against the process engine, with real commands. */
class ProcessEngineContractTest
        extends EngineContractTest
{
    private static final String TEXT = "kit-artifact-text";
    private static final String KIT_FOLDER = "taskyard-kit-";

    @BeforeAll
    static void createTmpdir()
    {
        // should the kit's Files.createTempDirectory honour surefire's java.io.tmpdir (target/tmp), it must exist
        EngineFixture.tmpdir();
    }

    @Override
    protected String engineName()
    {
        return ProcessEngineProvider.NAME;
    }

    @Override
    protected String engineConfigWithMaxConcurrency(int max)
    {
        return "{\"maxConcurrency\": " + max + "}";
    }

    @Override
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return switch (behavior) {
            case SUPPORTS_VOLUMES, SUPPORTS_PROXIES, SUPPORTS_DISPLAYS -> false;
            default -> super.hasBehavior(behavior);
        };
    }

    @Override
    protected String targetPayload(String target)
    {
        return command("echo", target);
    }

    @Override
    protected String failingTargetPayload(String target)
    {
        return command("sh", "-c", "echo \"$1\"; exit 3", "sh", target);
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
        return command("sh", "-c", "echo \"$1\"; exec sleep \"$2\"", "sh", target, seconds(duration));
    }

    @Override
    protected String lastLineWithoutNewlinePayload(String text)
    {
        return command("printf", "%s", text);
    }

    @Override
    protected String malformedPayload()
    {
        ObjectNode payload = EngineFixture.command("true");
        payload.put("workingFolder", "../outside-the-work-dir");
        return payload.toString();
    }

    @Override
    protected String printEnvironmentVariablePayload(String name)
    {
        return command("printenv", name);
    }

    @Override
    protected String writeFilesPayload()
    {
        return command("sh", "-c", String.join(" && ",
                "mkdir -p folder/sub/deeper",
                "printf '%s\\n' \"$1\" > folder/hello.txt",
                "printf '%s\\n' \"$1\" > folder/sub/a.txt",
                "printf '%s\\n' \"$1\" > folder/sub/deeper/b.txt"), "sh", TEXT);
    }

    @Override
    protected ArtifactLayout artifactLayout()
    {
        return new ArtifactLayout(TEXT, "folder/hello.txt", "folder/missing.txt", "no-such-folder", "folder",
                Set.of("hello.txt", "sub/a.txt", "sub/deeper/b.txt"), "../outside.txt");
    }

    @Override
    protected ShellScript shellScript()
    {
        return new ShellScript("echo hello; echo err >&2\n", "hello\n", "err\n", "exit 3\n", "sleep 60\n");
    }

    /**
     * No live process may still work in, or name, a work folder of the kit ({@code taskyard-kit-*}, wherever the JVM's
     * temp folder is: surefire sets {@code java.io.tmpdir} too late for {@code Files.createTempDirectory}).
     */
    @Override
    protected void assertNoLeftovers()
    {
        List<HostProcesses.Info> leftovers = HostProcesses.all().stream()
                .filter(info -> info.cwd().map(cwd -> cwd.toString().contains("/" + KIT_FOLDER)).orElse(false) || info.commandLine().contains(KIT_FOLDER))
                .toList();
        assertThat(leftovers).as("processes working in or naming the kit's folders").isEmpty();
    }

    private static String command(String... argv)
    {
        ObjectNode payload = EngineFixture.MAPPER.createObjectNode();
        ArrayNode command = payload.putArray("command");
        for (String argument : argv) {
            command.add(argument);
        }
        return payload.toString();
    }

    private static String seconds(Duration duration)
    {
        return BigDecimal.valueOf(duration.toMillis(), 3).toPlainString();
    }
}
