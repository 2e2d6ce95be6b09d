package dev.taskyard.engine.docker;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * The Docker daemon the tests use, and the image they run: busybox-static plus applet links, imported through the
 * Engine API (never the CLI) once per JVM under a tag derived from its content. Thread-safe.
 */
final class TestDaemon
{
    /** The worker group of every engine the tests create (the kit uses its own, {@code kit}). */
    static final String TEST_WORKER_GROUP = "taskyard-test";

    private static final List<String> APPLETS =
            List.of("sh", "echo", "sleep", "cat", "ls", "mkdir", "printf", "test", "[", "env", "printenv",
            "true", "false", "kill", "ps", "grep", "rm", "touch", "id", "head", "yes", "dd", "seq", "ln");
    private static final List<Path> BUSYBOX = List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"));

    private static Status status;
    private static DockerClient client;
    private static String image;

    private TestDaemon() {}

    /** Whether a daemon answers, and why not. */
    record Status(boolean reachable, String socket, String reason) {}

    /** The endpoint: {@code DOCKER_HOST} when it names a unix or tcp socket, else the default socket. */
    static String socket()
    {
        String host = System.getenv("DOCKER_HOST");
        return host != null && (host.startsWith("unix://") || host.startsWith("tcp://")) ? host
                : "unix:///var/run/docker.sock";
    }

    /** Whether Docker-backed tests must run (and fail without a daemon) instead of being skipped. */
    static boolean ci()
    {
        return "true".equals(System.getenv("CI"));
    }

    static synchronized Status status()
    {
        if (status == null) {
            try {
                client().pingCmd().exec();
                status = new Status(true, socket(), "the daemon answered a ping");
            }
            catch (RuntimeException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                status = new Status(false, socket(), root.getClass().getSimpleName() + ": " + root.getMessage());
            }
        }
        return status;
    }

    /** A client for fixtures (leftover objects, image import, leak checks). */
    static synchronized DockerClient client()
    {
        if (client == null) {
            DefaultDockerClientConfig config =
                    DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(socket())
                    .withDockerTlsVerify(false).build();
            client = DockerClientImpl.getInstance(config,
                    new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                    .connectionTimeout(Duration.ofSeconds(5)).build());
        }
        return client;
    }

    /** The busybox path on this machine, if busybox-static is installed. */
    static Optional<Path> busybox()
    {
        return BUSYBOX.stream().filter(Files::isRegularFile).findFirst();
    }

    /** The test image, imported if it is not present yet. */
    static synchronized String image()
    {
        if (image == null) {
            Path busybox = busybox()
                    .orElseThrow(() -> new IllegalStateException("busybox-static is not installed: no " + BUSYBOX));
            byte[] layer = rootFilesystem(busybox);
            String layerDigest = HexFormat.of().formatHex(sha256(layer));
            String name = "taskyard-test/busybox:" + layerDigest.substring(0, 16);
            try {
                client().inspectImageCmd(name).exec();
            }
            catch (NotFoundException e) {
                // docker-java's createImageCmd (import) serialises the stream as JSON, so the image is loaded in the
                // format of "docker save" instead: one layer, a config and a manifest
                client().loadImageCmd(new ByteArrayInputStream(saveArchive(name, layer, layerDigest))).exec();
            }
            image = name;
        }
        return image;
    }

    /** The labelled containers of a worker group, whoever owns them. */
    static List<Container> containers(String workerGroup)
    {
        return client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerLabels.WORKER_GROUP, workerGroup)).exec();
    }

    /** The labelled volumes of a worker group. */
    static List<InspectVolumeResponse> volumes(String workerGroup)
    {
        List<InspectVolumeResponse> volumes =
                client().listVolumesCmd()
                .withFilter("label", List.of(DockerLabels.WORKER_GROUP + "=" + workerGroup)).exec().getVolumes();
        return volumes == null ? List.of() : volumes;
    }

    private static byte[] rootFilesystem(Path busybox)
    {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            directory(tar, "bin/", 0755);
            directory(tar, "etc/", 0755);
            directory(tar, "root/", 0700);
            directory(tar, "tmp/", 01777);
            byte[] binary = Files.readAllBytes(busybox);
            file(tar, "bin/busybox", 0755, binary);
            for (String applet : APPLETS) {
                TarArchiveEntry link = new TarArchiveEntry("bin/" + applet, TarConstants.LF_SYMLINK);
                link.setLinkName("busybox");
                link.setModTime(0);
                tar.putArchiveEntry(link);
                tar.closeArchiveEntry();
            }
            file(tar, "etc/passwd", 0644,
                    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".getBytes());
            file(tar, "etc/group", 0644, "root:x:0:\nnogroup:x:65534:\n".getBytes());
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot build the test image", e);
        }
        return bytes.toByteArray();
    }

    private static byte[] saveArchive(String name, byte[] layer, String layerDigest)
    {
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + layerDigest + "\"]},"
                + "\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"taskyard test fixture: "
                        + "busybox-static\"}]}";
        byte[] configBytes = config.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String configName = HexFormat.of().formatHex(sha256(configBytes)) + ".json";
        String manifest = "[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + name + "\"],\"Layers\":[\""
                + layerDigest + "/layer.tar\"]}]";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            directory(tar, layerDigest + "/", 0755);
            file(tar, layerDigest + "/layer.tar", 0644, layer);
            file(tar, configName, 0644, configBytes);
            file(tar, "manifest.json", 0644, manifest.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot build the test image archive", e);
        }
        return bytes.toByteArray();
    }

    private static void directory(TarArchiveOutputStream tar, String name, int mode)
            throws IOException
    {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~07777 | mode);
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, int mode, byte[] content)
            throws IOException
    {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setMode(TarArchiveEntry.DEFAULT_FILE_MODE & ~07777 | mode);
        entry.setSize(content.length);
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static byte[] sha256(byte[] bytes)
    {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
