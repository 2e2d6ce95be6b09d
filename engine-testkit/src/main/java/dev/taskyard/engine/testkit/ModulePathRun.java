package dev.taskyard.engine.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
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

import static java.util.Objects.requireNonNull;

/**
 * Proves that module descriptors work: compiles a tiny program as a named module and runs it in a separate JVM on a
 * module path taken from the test's class path (the tests themselves run on the class path). The program's module
 * and package are both {@code moduleName}; its main class is {@code moduleName.Main}. Engine authors can check their
 * own {@code module-info} the same way: services found with {@code ServiceLoader}, resources readable.
 *
 * <p>Stateless; every method may be called from any thread.
 */
public final class ModulePathRun
{
    /** What the program printed (standard output and error together) and how it exited. */
    public record Output(int exitCode, String text) {}

    private ModulePathRun() {}

    /**
     * The entries of the test class path that belong on the module path: jars whose file names start with one of
     * {@code jarPrefixes} (e.g. {@code jackson-databind-}), and class folders ending with one of {@code folders}
     * (e.g. {@code engine-api/target/classes}).
     */
    public static List<String> modulePath(List<String> jarPrefixes, List<Path> folders)
            throws IOException
    {
        List<String> entries = new ArrayList<>();
        for (String entry : classPath()) {
            Path path = Path.of(entry);
            String name = path.getFileName().toString();
            boolean jar = name.endsWith(".jar") && jarPrefixes.stream().anyMatch(name::startsWith);
            boolean folder = Files.isDirectory(path) && folders.stream().anyMatch(path::endsWith);
            if (jar || folder) {
                entries.add(entry);
            }
        }
        return entries;
    }

    /** The test class path; expands surefire's manifest-only jar if that is all {@code java.class.path} holds. */
    public static List<String> classPath()
            throws IOException
    {
        List<String> entries =
                new ArrayList<>(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
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

    /**
     * Compiles {@code moduleInfo} and {@code mainSource} (class {@code Main} in package {@code moduleName}) in
     * {@code work}, then runs {@code java -m moduleName/moduleName.Main} with {@code java.io.tmpdir} set to
     * {@code work}, and waits up to 60 s for it.
     *
     * @throws AssertionError the program does not compile or does not end in time
     */
    public static Output compileAndRun(Path work, List<String> modulePath, String moduleName,
            String moduleInfo, String mainSource)
            throws IOException, InterruptedException
    {
        requireNonNull(work, "work is null");
        Path sources = Files.createDirectories(work.resolve("src")
                .resolve(moduleName.replace('.', File.separatorChar)));
        Path descriptor = work.resolve("src/module-info.java");
        Files.writeString(descriptor, moduleInfo);
        Path main = sources.resolve("Main.java");
        Files.writeString(main, mainSource);
        Path classes = work.resolve("classes");
        // the system compiler through java.base's tool SPI: a test may run patched into a module that does not read
        // java.compiler (javax.tools)
        ToolProvider javac =
                ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac in this JDK"));
        StringWriter diagnostics = new StringWriter();
        PrintWriter writer = new PrintWriter(diagnostics);
        int compiled = javac.run(writer, writer, "--module-path", String.join(File.pathSeparator, modulePath),
                "-d", classes.toString(), descriptor.toString(), main.toString());
        if (compiled != 0) {
            throw new AssertionError("javac failed with " + compiled + ": " + diagnostics);
        }
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = List.of(java, "-Djava.io.tmpdir=" + work, "--module-path", classes + File.pathSeparator
                + String.join(File.pathSeparator, modulePath), "-m", moduleName + "/" + moduleName + ".Main");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output;
        try (InputStream in = process.getInputStream()) {
            output = in.readAllBytes();
        }
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the module " + moduleName + " did not end within 60 s: "
                    + new String(output, StandardCharsets.UTF_8));
        }
        return new Output(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
