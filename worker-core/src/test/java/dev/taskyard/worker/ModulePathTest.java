package dev.taskyard.worker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.taskyard.engine.testkit.ModulePathRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plugins and the worker work as named modules (the other tests run on the class path): in a separate JVM on the
 * module path, the built-in plugins are found with {@link java.util.ServiceLoader} and the JSON Schemas of the
 * worker config and of the plugins' configs are read from their modules.
 */
class ModulePathTest
{
    /** What the module path needs: the taskyard modules and what they require, at run time. */
    private static final List<String> MODULE_JARS = List.of(
            "jackson-core-", "jackson-databind-", "jackson-annotations-", "jackson-dataformat-yaml-", "snakeyaml-",
            "json-schema-validator-",
            "slf4j-api-", "itu-", "taskyard-engine-api-", "taskyard-plugins-");
    private static final List<Path> MODULE_FOLDERS = List.of(Path.of("engine-api", "target", "classes"),
            Path.of("plugins", "target", "classes"), Path.of("worker-core", "target", "classes"));

    private static final String MODULE_INFO = """
            module worker.modules {
                requires dev.taskyard.worker;
            }
            """;

    private static final String MAIN = """
            package worker.modules;

            import com.fasterxml.jackson.databind.ObjectMapper;
            import dev.taskyard.engine.EngineRegistry;
            import dev.taskyard.plugin.host.PluginRegistry;
            import dev.taskyard.worker.WorkerConfig;

            public class Main
            {
                public static void main(String[] args)
                        throws Exception
                {
                    PluginRegistry plugins = PluginRegistry.load();
                    System.out.println("plugins " + plugins.names());
                    System.out.println("worker module " + WorkerConfig.class.getModule().getName());
                    var config = new ObjectMapper().readTree(
                            "{\\"worker\\":{\\"workerId\\":\\"w1\\",\\"hookTimeout\\":\\"long\\"},\
            \\"engine\\":\\"none\\",\\"plugins\\":{\\"env\\":{\\"extra\\":5}}}");
                    WorkerConfig.validate(config, EngineRegistry.empty(), plugins).forEach(violation -> \
            System.out.println("violation " + violation));
                }
            }
            """;

    @Test
    @Timeout(120)
    void pluginsAndWorkerRunOnTheModulePath()
            throws Exception
    {
        List<String> modulePath = ModulePathRun.modulePath(MODULE_JARS, MODULE_FOLDERS);
        assertThat(modulePath).as("module path taken from the class path " + ModulePathRun.classPath())
                .anyMatch(entry -> entry.contains("plugins"))
                .anyMatch(entry -> entry.contains("worker-core"))
                .anyMatch(entry -> entry.contains("jackson-dataformat-yaml-"));
        ModulePathRun.Output output = ModulePathRun.compileAndRun(Files.createTempDirectory("module-path-"), modulePath,
                "worker.modules", MODULE_INFO, MAIN);
        String text = output.text();
        assertThat(output.exitCode()).as("module path %s, output:%n%s", modulePath, text).isZero();
        assertThat(text).contains("plugins [env, success, maxruntime, artifacts, logprefix, watchdog, result, "
                + "progress, tasklog, secrets]");
        assertThat(text).contains("worker module dev.taskyard.worker");
        // read from worker-core's module: the worker config schema
        assertThat(text).containsPattern("violation .*\\$\\.worker\\.hookTimeout");
        // read from the plugins' module: a built-in plugin's config schema
        assertThat(text).containsPattern("violation .*\\$\\.plugins\\.env\\.extra.*plugin \"env\"");
    }
}
