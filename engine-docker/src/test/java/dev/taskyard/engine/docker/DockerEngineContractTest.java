package dev.taskyard.engine.docker;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import dev.taskyard.engine.testkit.ShellScript;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Docker engine against the whole contract kit, with busybox {@code sh} payloads. Proxies and displays are not
 * supported, so the kit verifies that they fail with feature-not-supported.
 */
@RequiresDocker
class DockerEngineContractTest
        extends EngineContractTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    protected String engineName()
    {
        return DockerEngineProvider.NAME;
    }

    @Override
    protected String engineConfig()
    {
        return config().toString();
    }

    @Override
    protected String engineConfigWithMaxConcurrency(int max)
    {
        return config().put("maxConcurrency", max).toString();
    }

    @Override
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return switch (behavior) {
            case SUPPORTS_PROXIES, SUPPORTS_DISPLAYS -> false;
            default -> super.hasBehavior(behavior);
        };
    }

    @Override
    protected String targetPayload(String target)
    {
        return payload("sh", "-c", "printf '%s\\n' \"$1\"", "sh", target);
    }

    @Override
    protected String failingTargetPayload(String target)
    {
        return payload("sh", "-c", "printf '%s\\n' \"$1\"; exit 1", "sh", target);
    }

    @Override
    protected String silentPayload()
    {
        return payload("true");
    }

    @Override
    protected String sleepPayload(Duration duration)
    {
        return payload("sleep", seconds(duration));
    }

    @Override
    protected String targetThenSleepPayload(String target, Duration duration)
    {
        return payload("sh", "-c", "printf '%s\\n' \"$1\"; exec sleep \"$2\"", "sh", target, seconds(duration));
    }

    @Override
    protected String lastLineWithoutNewlinePayload(String text)
    {
        return payload("printf", "%s", text);
    }

    @Override
    protected String malformedPayload()
    {
        // valid by schema, but above the configured maximum of 4096 MiB
        ObjectNode payload = payloadNode("true");
        payload.put("memoryMiB", 8192);
        return payload.toString();
    }

    @Override
    protected String printEnvironmentVariablePayload(String name)
    {
        return payload("sh", "-c", "printf '%s\\n' \"$" + name + "\"");
    }

    @Override
    protected String writeFilesPayload()
    {
        return payload("sh", "-c", "mkdir -p /folder /nested/sub/deeper && for f in /folder/hello.txt /nested/a.txt /nested/sub/b.txt "
                + "/nested/sub/deeper/c.txt; do echo 'Hello World' > \"$f\"; done");
    }

    @Override
    protected ArtifactLayout artifactLayout()
    {
        return new ArtifactLayout("Hello World", "/folder/hello.txt", "/folder/missing.txt", "/missing", "/nested",
                Set.of("a.txt", "sub/b.txt", "sub/deeper/c.txt"), "relative/path.txt");
    }

    @Override
    protected String volumeMountPoint()
    {
        return "/mnt/cache";
    }

    @Override
    protected String writeVolumePayload(String mountPoint)
    {
        return payload("sh", "-c", "echo kit-volume-data > \"$1\"/data.txt", "sh", mountPoint);
    }

    @Override
    protected String checkVolumePayload(String mountPoint)
    {
        return payload("sh", "-c", "test \"$(cat \"$1\"/data.txt)\" = kit-volume-data", "sh", mountPoint);
    }

    @Override
    protected ShellScript shellScript()
    {
        return new ShellScript("echo Hello\necho Error >&2\n", "Hello\n", "Error\n", "exit 3\n", "sleep 60\n");
    }

    @Override
    protected void assertNoLeftovers()
    {
        assertThat(TestDaemon.containers("kit")).as("containers labelled for the kit's worker after dispose").isEmpty();
        assertThat(TestDaemon.volumes("kit")).as("volumes labelled for the kit's worker after dispose").isEmpty();
    }

    static ObjectNode config()
    {
        return MAPPER.createObjectNode().put("socket", TestDaemon.socket());
    }

    static String payload(String... command)
    {
        return payloadNode(command).toString();
    }

    static ObjectNode payloadNode(String... command)
    {
        ObjectNode payload = MAPPER.createObjectNode().put("image", TestDaemon.image());
        ArrayNode argv = payload.putArray("command");
        List.of(command).forEach(argv::add);
        return payload;
    }

    private static String seconds(Duration duration)
    {
        return String.format(java.util.Locale.ROOT, "%.3f", duration.toMillis() / 1000.0);
    }
}
