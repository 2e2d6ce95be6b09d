package dev.taskyard.engine.testkit.selftest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.common.io.MoreFiles;
import dev.taskyard.engine.testkit.ModulePathRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kit's module descriptor resolves: a module requiring {@code dev.taskyard.engine.testkit} compiles and runs on a
 * module path of the kit and what it requires (JUnit's API, Guava, QuickTheories, the engine API, the mock), reads
 * the SPI types through the kit's {@code requires transitive}, and finds the mock engine with ServiceLoader.
 */
class KitModulePathTest
{
    /** What the module path needs at run time: the kit's modules and what they require. */
    private static final List<String> MODULE_JARS = List.of(
            "jackson-core-", "jackson-databind-", "jackson-annotations-", "json-schema-validator-", "itu-",
            "slf4j-api-", "slf4j-simple-",
            "guava-", "failureaccess-", "quicktheories-", "junit-jupiter-api-", "junit-platform-commons-",
            "opentest4j-", "apiguardian-api-",
            "taskyard-engine-api-", "taskyard-engine-mock-", "taskyard-engine-testkit-");
    private static final List<Path> MODULE_FOLDERS = List.of(Path.of("engine-api", "target", "classes"),
            Path.of("engine-mock", "target", "classes"), Path.of("engine-testkit", "target", "classes"));

    private static final String MODULE_INFO = """
            module kit.modules {
                requires dev.taskyard.engine.testkit;
            }
            """;

    private static final String MAIN = """
            package kit.modules;

            import dev.taskyard.engine.EngineRegistry;
            import dev.taskyard.engine.testkit.ContractRule;
            import dev.taskyard.engine.testkit.EngineContractTest;
            import dev.taskyard.engine.testkit.forwarding.FaultyEngineProvider;

            public class Main
            {
                public static void main(String[] args)
                {
                    System.out.println("kit module " + EngineContractTest.class.getModule().getName());
                    System.out.println("rule " + ContractRule.NO_HANG.violation("a call hung"));
                    System.out.println("faulty " + new FaultyEngineProvider().name());
                    System.out.println("engines " + \
            EngineRegistry.load().providers().stream().map(EngineRegistry.ProviderInfo::name).toList());
                }
            }
            """;

    @Test
    @Timeout(120)
    void kitRunsOnTheModulePath()
            throws Exception
    {
        List<String> modulePath = ModulePathRun.modulePath(MODULE_JARS, MODULE_FOLDERS);
        assertThat(modulePath).as("module path taken from the class path " + ModulePathRun.classPath())
                .anyMatch(entry -> entry.contains("engine-testkit"))
                .anyMatch(entry -> entry.contains("engine-mock"))
                .anyMatch(entry -> entry.contains("guava-"))
                .anyMatch(entry -> entry.contains("quicktheories-"))
                .anyMatch(entry -> entry.contains("junit-jupiter-api-"));
        Path work = Files.createTempDirectory("kit-module-path-");
        try {
            ModulePathRun.Output output =
                    ModulePathRun.compileAndRun(work, modulePath, "kit.modules", MODULE_INFO, MAIN);
            String text = output.text();
            assertThat(output.exitCode()).as("module path %s, output:%n%s", modulePath, text).isZero();
            assertThat(text).contains("kit module dev.taskyard.engine.testkit");
            assertThat(text).contains("rule [no-hang] no call of the contract hangs");
            assertThat(text).contains("faulty faulty-mock");
            assertThat(text).containsPattern("engines \\[.*mock.*\\]");
        }
        finally {
            MoreFiles.deleteRecursively(work);
        }
    }
}
