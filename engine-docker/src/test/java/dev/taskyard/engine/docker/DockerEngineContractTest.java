package dev.taskyard.engine.docker;

import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.testkit.CommandEngineContractTest;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.ShellScript;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Docker engine against the whole contract kit, with busybox {@code sh} payloads (the kit's command payloads).
 * Recovery is on (the config's default), so the kit's recovery rules run positively: a fresh engine re-attaches to
 * the containers of the first one. Proxies and displays are not supported, so the kit verifies that they fail with
 * feature-not-supported.
 */
@RequiresDocker
class DockerEngineContractTest
        extends CommandEngineContractTest
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
            case SUPPORTS_RECOVERY -> true;
            default -> super.hasBehavior(behavior);
        };
    }

    @Override
    protected String commandPayload(List<String> argv)
    {
        return payloadNode(argv.toArray(String[]::new)).toString();
    }

    @Override
    protected String recoveryPayload(String first, Duration duration, String second)
    {
        return payload("sh", "-c", "echo " + first + "; sleep " + duration.toMillis() / 1000.0 + "; echo " + second);
    }

    @Override
    protected String artifactFolder()
    {
        return "/folder";
    }

    @Override
    protected String invalidArtifactPath()
    {
        return "relative/path.txt";
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
}
