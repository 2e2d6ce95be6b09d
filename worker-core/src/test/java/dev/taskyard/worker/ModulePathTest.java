package dev.taskyard.worker;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.spi.ToolProvider;

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
            "jackson-core-", "jackson-databind-", "jackson-annotations-", "jackson-dataformat-yaml-", "snakeyaml-", "json-schema-validator-",
            "slf4j-api-", "itu-", "taskyard-engine-api-", "taskyard-plugins-");
    private static final List<Path> MODULE_FOLDERS = List.of(Path.of("engine-api", "target", "classes"), Path.of("plugins", "target", "classes"),
            Path.of("worker-core", "target", "classes"));

    private static final String MODULE_INFO = """
            module worker.modules {
                requires dev.taskyard.worker;
            }
            """;

    private static final String MAIN = """
            package worker.modules;

            import com.fasterxml.jackson.databind.ObjectMapper;
            import dev.taskyard.engine.EngineRegistry;
            import dev.taskyard.plugin.PluginRegistry;
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
                            "{\\"worker\\":{\\"workerId\\":\\"w1\\",\\"hookTimeout\\":\\"long\\"},\\"engine\\":\\"none\\",\\"plugins\\":{\\"env\\":{\\"extra\\":5}}}");
                    WorkerConfig.validate(config, EngineRegistry.empty(), plugins).forEach(violation -> System.out.println("violation " + violation));
                }
            }
            """;

    @Test
    @Timeout(120)
    void pluginsAndWorkerRunOnTheModulePath()
            throws Exception
    {
        List<String> modulePath = modulePath();
        assertThat(modulePath).as("module path taken from the class path " + classPath())
                .anyMatch(entry -> entry.contains("plugins"))
                .anyMatch(entry -> entry.contains("worker-core"))
                .anyMatch(entry -> entry.contains("jackson-dataformat-yaml-"));
        Path work = Files.createTempDirectory("module-path-");
        Path sources = Files.createDirectories(work.resolve("src/worker/modules"));
        Files.writeString(work.resolve("src/module-info.java"), MODULE_INFO);
        Files.writeString(sources.resolve("Main.java"), MAIN);
        Path classes = work.resolve("classes");
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac in this JDK"));
        java.io.StringWriter diagnostics = new java.io.StringWriter();
        java.io.PrintWriter writer = new java.io.PrintWriter(diagnostics);
        int compiled = javac.run(writer, writer, "--module-path", String.join(File.pathSeparator, modulePath), "-d", classes.toString(),
                work.resolve("src/module-info.java").toString(), sources.resolve("Main.java").toString());
        assertThat(compiled).as("javac: %s", diagnostics).isZero();

        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java, "-Djava.io.tmpdir=" + work, "--module-path", classes + File.pathSeparator + String.join(File.pathSeparator, modulePath),
                "-m", "worker.modules/worker.modules.Main");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = process.getInputStream()) {
            output = in.readAllBytes();
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("module path %s, output:%n%s", modulePath, text).isZero();
        assertThat(text).contains("plugins [env, success, maxruntime, artifacts, logprefix, watchdog, result, progress, tasklog]");
        assertThat(text).contains("worker module dev.taskyard.worker");
        // read from worker-core's module: the worker config schema
        assertThat(text).containsPattern("violation .*\\$\\.worker\\.hookTimeout");
        // read from the plugins' module: a built-in plugin's config schema
        assertThat(text).containsPattern("violation .*\\$\\.plugins\\.env\\.extra.*plugin \"env\"");
    }

    private static List<String> modulePath()
            throws IOException
    {
        List<String> entries = new ArrayList<>();
        for (String entry : classPath()) {
            Path path = Path.of(entry);
            String name = path.getFileName().toString();
            boolean jar = name.endsWith(".jar") && MODULE_JARS.stream().anyMatch(name::startsWith);
            boolean folder = Files.isDirectory(path) && MODULE_FOLDERS.stream().anyMatch(path::endsWith);
            if (jar || folder) {
                entries.add(entry);
            }
        }
        return entries;
    }

    /** The test class path; expands surefire's manifest-only jar if that is all {@code java.class.path} holds. */
    private static List<String> classPath()
            throws IOException
    {
        List<String> entries = new ArrayList<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        if (entries.size() == 1 && entries.get(0).contains("surefirebooter")) {
            try (JarFile jar = new JarFile(entries.get(0))) {
                Manifest manifest = jar.getManifest();
                entries.clear();
                for (String url : manifest.getMainAttributes().getValue("Class-Path").split(" ")) {
                    entries.add(Path.of(URI.create(url)).toString());
                }
            }
        }
        return entries;
    }
}
