package dev.taskyard.engine.testkit.selftest;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.taskyard.engine.Display;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.EngineContractTest;
import dev.taskyard.engine.testkit.ShellScript;

/** The reference mock engine passes the whole kit, every optional behaviour included. */
public class MockEngineContractTest
        extends EngineContractTest
{
    @Override
    protected String engineName()
    {
        return "mock";
    }

    @Override
    protected String engineConfigWithMaxConcurrency(int max)
    {
        return "{\"maxConcurrency\":" + max + "}";
    }

    static String payload(long delay, String function, String argument)
    {
        return "{\"delay\":" + delay + ",\"function\":\"" + function + "\",\"argument\":\"" + argument + "\"}";
    }

    @Override
    protected String targetPayload(String target)
    {
        return payload(0, "write-log", target);
    }

    @Override
    protected String failingTargetPayload(String target)
    {
        return payload(0, "write-error-log", target);
    }

    @Override
    protected String silentPayload()
    {
        return payload(0, "true", "");
    }

    @Override
    protected String sleepPayload(Duration duration)
    {
        return payload(duration.toMillis(), "true", "");
    }

    @Override
    protected String targetThenSleepPayload(String target, Duration duration)
    {
        return payload(duration.toMillis(), "write-log-sleep", target);
    }

    @Override
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return true;
    }

    @Override
    protected String recoveryPayload(String first, Duration duration, String second)
    {
        return payload(duration.toMillis(), "write-log-sleep-write-log", first + "|" + second);
    }

    @Override
    protected String exitPayload(int code)
    {
        return payload(0, "exit", Integer.toString(code));
    }

    @Override
    protected String lastLineWithoutNewlinePayload(String text)
    {
        return payload(0, "write-log-no-newline", text);
    }

    @Override
    protected String malformedPayload()
    {
        return payload(0, "malformed-payload-initial", "refused by the mock");
    }

    @Override
    protected String printEnvironmentVariablePayload(String name)
    {
        return payload(0, "print-env-var", name);
    }

    @Override
    protected String writeFilesPayload()
    {
        return payload(0, "write-files", "/folder/hello.txt /nested/a.txt /nested/sub/b.txt /nested/sub/deeper/c.txt");
    }

    @Override
    protected ArtifactLayout artifactLayout()
    {
        return new ArtifactLayout("Hello World", "/folder/hello.txt", "/folder/missing.txt", "/missing", "/nested",
                Set.of("a.txt", "sub/b.txt", "sub/deeper/c.txt"), "relative/path.txt");
    }

    /** The mock's files live in memory: its tasks cannot make symbolic links. */
    @Override
    protected Optional<String> symbolicLinksPayload(String file, String folder)
    {
        return Optional.empty();
    }

    @Override
    protected String volumeMountPoint()
    {
        return "/mnt/cache";
    }

    @Override
    protected String writeVolumePayload(String mountPoint)
    {
        return payload(0, "write-volume", mountPoint + "/data.txt:kit-volume-data");
    }

    @Override
    protected String checkVolumePayload(String mountPoint)
    {
        return payload(0, "read-volume", mountPoint + "/data.txt:kit-volume-data");
    }

    @Override
    protected String pingProxyPayload(String proxyName)
    {
        return payload(0, "ping-proxy", proxyName);
    }

    @Override
    protected ShellScript shellScript()
    {
        return new ShellScript("print-hello\nprint-error\n", "Hello\n", "Error\n", "exit-false\n", "sleep\n");
    }

    @Override
    protected List<Display> expectedDisplays()
    {
        return List.of(new Display("primary", "", 640, 480));
    }
}
