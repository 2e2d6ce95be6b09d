package dev.taskyard.engine.process;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResultSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Artifact paths: the layout the task writes, path escapes, symbolic links, missing paths and handler failures. */
@Timeout(60)
class ArtifactTest
{
    private static final String SCRIPT = String.join("; ",
            "mkdir -p out/sub/deeper out/empty",
            "echo hello > out/hello.txt",
            "echo a > out/sub/a.txt",
            "echo b > out/sub/deeper/b.txt",
            "echo secret > ../outside-secret.txt",
            "ln -s /etc etc-link",
            "ln -s /etc/passwd out/host-link",
            "ln -s hello.txt out/inner-link",
            "ln -s /etc out/sub/etc-dir-link",
            "ln -s /no/such/target dangling",
            "mkfifo out-fifo");

    private static EngineFixture fixture;
    private static ResultSet result;

    @BeforeAll
    static void runTask()
            throws Exception
    {
        fixture = new EngineFixture();
        result = fixture.builder("sh", "-c", SCRIPT).startSandbox().waitForResult();
        assertThat(result.success()).isTrue();
    }

    @AfterAll
    static void dispose()
            throws Exception
    {
        result.dispose();
        fixture.close();
    }

    @Test
    void extractFileInAllPathSpellings()
            throws Exception
    {
        for (String path : List.of("out/hello.txt", "./out/hello.txt", "out//hello.txt")) {
            assertThat(read(result.extractFile(path))).as(path).isEqualTo("hello\n");
        }
    }

    @Test
    void extractFolderReportsRegularFilesOnlyAndSkipsSymbolicLinks()
            throws Exception
    {
        for (String path : List.of("out", "out/", "./out")) {
            Map<String, String> files = new ConcurrentHashMap<>();
            result.extractFolder(path, (name, in) -> files.put(name, read(in)));
            assertThat(files).as(path)
                    .isEqualTo(Map.of("hello.txt", "hello\n", "sub/a.txt", "a\n", "sub/deeper/b.txt", "b\n"));
        }
    }

    @Test
    void theWorkDirItselfIsAFolder()
            throws Exception
    {
        Map<String, String> files = new ConcurrentHashMap<>();
        result.extractFolder("", (name, in) -> files.put(name, read(in)));
        assertThat(files).containsKeys("out/hello.txt", "out/sub/deeper/b.txt")
                .doesNotContainKeys("etc-link", "dangling", "out-fifo");
    }

    @Test
    void escapesAreMalformed()
    {
        for (String path : List.of("/etc/passwd", "../outside-secret.txt", "out/../../outside-secret.txt", "..",
                "etc-link/passwd", "etc-link",
                "out/host-link", "out/sub/etc-dir-link", "out/sub/etc-dir-link/missing", "etc-link/no-such-file")) {
            assertThatThrownBy(() -> result.extractFile(path).close()).as("extractFile(%s)", path)
                    .isInstanceOf(MalformedPayloadException.class);
            assertThatThrownBy(() -> result.extractFolder(path, (name, in) -> {})).as("extractFolder(%s)", path)
                    .isInstanceOf(MalformedPayloadException.class);
        }
    }

    @Test
    void missingPathsAreNotFound()
    {
        for (String path : List.of("out/missing.txt", "missing/hello.txt", "dangling")) {
            assertThatThrownBy(() -> result.extractFile(path).close()).as(path)
                    .isInstanceOf(ResourceNotFoundException.class);
            assertThatThrownBy(() -> result.extractFolder(path, (name, in) -> {})).as(path)
                    .isInstanceOf(ResourceNotFoundException.class);
        }
        assertThatThrownBy(() -> result.extractFile("out")).as("a folder is not a file")
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> result.extractFile("out-fifo")).as("a fifo is not a regular file")
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> result.extractFolder("out/hello.txt", (name, in) -> {})).as("a file is not a folder")
                .isInstanceOf(ResourceNotFoundException.class);
    }

    @Test
    void symbolicLinksInsideTheWorkDirResolve()
            throws Exception
    {
        assertThat(read(result.extractFile("out/inner-link"))).isEqualTo("hello\n");
    }

    @Test
    void anEmptyFolderHasNoFiles()
            throws Exception
    {
        AtomicInteger calls = new AtomicInteger();
        result.extractFolder("out/empty", (name, in) -> calls.incrementAndGet());
        assertThat(calls).hasValue(0);
    }

    @Test
    void handlerFailureInterrupts()
    {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> result.extractFolder("out", (name, in) -> {
            calls.incrementAndGet();
            throw new IllegalStateException("handler failure");
        })).isInstanceOf(HandlerInterruptedException.class).hasRootCauseMessage("handler failure");
        assertThat(calls).hasValue(1);
    }

    private static String read(InputStream in)
            throws java.io.IOException
    {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
