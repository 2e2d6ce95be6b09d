package dev.taskyard.engine.process;

import java.util.List;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.testkit.CommandEngineContractTest;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.ShellScript;
import org.junit.jupiter.api.BeforeAll;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine contract kit against the process engine, with real commands. */
class ProcessEngineContractTest
        extends CommandEngineContractTest
{
    private static final String KIT_FOLDER = "taskyard-kit-";

    /** The isolation keys of the engine config under test (none here: the engine's defaults). */
    protected String isolation()
    {
        return "";
    }

    @Override
    protected String engineConfig()
    {
        return "{" + isolation() + "}";
    }

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
        return "{" + isolation() + (isolation().isEmpty() ? "" : ", ") + "\"maxConcurrency\": " + max + "}";
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
    protected String commandPayload(List<String> argv)
    {
        ObjectNode payload = EngineFixture.MAPPER.createObjectNode();
        ArrayNode command = payload.putArray("command");
        argv.forEach(command::add);
        return payload.toString();
    }

    @Override
    protected String invalidArtifactPath()
    {
        return "../outside.txt";
    }

    @Override
    protected String malformedPayload()
    {
        ObjectNode payload = EngineFixture.command("true");
        payload.put("workingFolder", "../outside-the-work-dir");
        return payload.toString();
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
                .filter(info -> info.cwd().map(cwd -> cwd.toString().contains("/" + KIT_FOLDER)).orElse(false)
                        || info.commandLine().contains(KIT_FOLDER))
                .toList();
        assertThat(leftovers).as("processes working in or naming the kit's folders").isEmpty();
    }
}
