package dev.taskyard.engine.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.EngineRegistry.ProviderInfo;
import dev.taskyard.engine.testkit.ModulePathRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine is found by {@link java.util.ServiceLoader} on the class path and on the module path. */
class DiscoveryTest
{
    /**
     * What the module path needs: the two taskyard modules and what they require, at run time (JNA as an automatic
     * module: the run requires posix_spawn, so its binding from a named module is checked too).
     */
    private static final List<String> MODULE_JARS = List.of(
            "jackson-core-", "jackson-databind-", "jackson-annotations-", "json-schema-validator-", "slf4j-api-",
                    "slf4j-simple-", "itu-", "jna-",
            "taskyard-engine-api-", "taskyard-engine-process-");
    private static final List<Path> MODULE_FOLDERS =
            List.of(Path.of("engine-api", "target", "classes"), Path.of("engine-process", "target", "classes"));

    private static final String MODULE_INFO = """
            module kit.discovery {
                requires dev.taskyard.engine;
                uses dev.taskyard.engine.EngineProvider;
            }
            """;

    private static final String MAIN = """
            package kit.discovery;

            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.util.ServiceLoader;

            import com.fasterxml.jackson.databind.ObjectMapper;
            import com.fasterxml.jackson.databind.node.ObjectNode;
            import dev.taskyard.engine.Engine;
            import dev.taskyard.engine.EngineContext;
            import dev.taskyard.engine.EngineProvider;
            import dev.taskyard.engine.EngineRegistry;
            import dev.taskyard.engine.ResourceTracker;
            import dev.taskyard.engine.ResultSet;
            import dev.taskyard.engine.SandboxOptions;
            import dev.taskyard.engine.TaskContext;
            import dev.taskyard.engine.WorkerIdentity;
            import org.slf4j.LoggerFactory;

            public class Main
            {
                public static void main(String[] args)
                        throws Exception
                {
                    for (EngineProvider provider : ServiceLoader.load(EngineProvider.class)) {
                        System.out.println("service " + provider.name() + " in module " \
            + provider.getClass().getModule().getName());
                    }
                    EngineRegistry registry = EngineRegistry.load();
                    registry.providers().forEach(info -> System.out.println("registry " + info.name() + " version " \
            + info.version()));
                    Path temp = Files.createTempDirectory("kit-discovery-");
                    ResourceTracker tracker = new ResourceTracker();
                    ObjectMapper mapper = new ObjectMapper();
                    Engine engine = registry.createEngine("process", mapper.readTree("{\\"spawn\\": \\"posixSpawn\\"}"),
                            new EngineContext(temp, LoggerFactory.getLogger("kit.discovery"), \
            new WorkerIdentity("kit", "kit"), tracker));
                    TaskContext context = TaskContext.builder().logSpillFolder(temp).build();
                    ObjectNode payload = (ObjectNode) \
            mapper.readTree("{\\"command\\": [\\"echo\\", \\"module-path-run\\"]}");
                    ResultSet result = engine.newSandboxBuilder(new SandboxOptions(payload, context))\
            .startSandbox().waitForResult();
                    System.out.println("run " + result.success() + " " + context.log().contentAsString().strip());
                    result.dispose();
                    engine.dispose();
                    context.dispose();
                    System.out.println("tracker empty " + tracker.isEmpty());
                }
            }
            """;

    @Test
    void classPathDiscovery()
    {
        ProviderInfo info = EngineRegistry.load().providers().stream()
                .filter(provider -> provider.name().equals("process"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("process engine not discovered"));
        assertThat(info.className()).isEqualTo(ProcessEngineProvider.class.getName());
        assertThat(info.version()).isNotBlank();
        assertThat(info.location())
                .matches(".*(/engine-process/target/classes/?|/taskyard-engine-process-[^/]+\\.jar)");
    }

    @Test
    @Timeout(120)
    void modulePathDiscovery()
            throws Exception
    {
        List<String> modulePath = ModulePathRun.modulePath(MODULE_JARS, MODULE_FOLDERS);
        assertThat(modulePath).as("module path taken from the class path " + ModulePathRun.classPath())
                .anyMatch(entry -> entry.contains("engine-api"))
                .anyMatch(entry -> entry.contains("engine-process"))
                .anyMatch(entry -> entry.contains("jackson-databind-"))
                .anyMatch(entry -> entry.contains("json-schema-validator-"));
        Path work = Files.createTempDirectory(EngineFixture.tmpdir(), "module-path-");
        ModulePathRun.Output output = ModulePathRun.compileAndRun(work, modulePath, "kit.discovery", MODULE_INFO, MAIN);
        String text = output.text();
        assertThat(output.exitCode()).as("module path %s, output:%n%s", modulePath, text).isZero();
        assertThat(text).contains("service process in module dev.taskyard.engine.process");
        assertThat(text).containsPattern("registry process version \\S+");
        assertThat(text).contains("run true module-path-run");
        assertThat(text).contains("tracker empty true");
        EngineFixture.deleteTree(work);
    }
}
