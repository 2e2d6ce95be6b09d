package dev.taskyard.plugin;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FolderArtifactStoreTest
{
    private static ByteArrayInputStream text(String value)
    {
        return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void storesListsAndOpensArtifacts()
            throws Exception
    {
        FolderArtifactStore store = new FolderArtifactStore(Files.createTempDirectory("store"));
        store.put("t1", "0", "public/a.txt", text("alpha"));
        store.putError("t1", "0", "public/b.txt", new Artifact.ArtifactError("file-missing-on-worker", "gone"));
        assertThat(store.list("t1", "0")).extracting(Artifact::name, Artifact::size, Artifact::isError)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("public/a.txt", 5L, false),
                        org.assertj.core.groups.Tuple.tuple("public/b.txt", 0L, true));
        try (var in = store.open("t1", "0", "public/a.txt")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("alpha");
        }
        assertThatThrownBy(() -> store.open("t1", "0", "public/b.txt")).isInstanceOf(NoSuchFileException.class);
        assertThat(store.list("t1", "1")).isEmpty();
    }

    @Test
    void refusesDuplicatesAndBadNames()
            throws Exception
    {
        FolderArtifactStore store = new FolderArtifactStore(Files.createTempDirectory("store"));
        store.put("t1", "0", "x", text("1"));
        assertThatThrownBy(() -> store.put("t1", "0", "x", text("2"))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> store.putError("t1", "0", "x", new Artifact.ArtifactError("r", "m")))
                .isInstanceOf(FileAlreadyExistsException.class);
        for (String bad : List.of("../x", "a/../b", "/abs", "a//b", ".", "a/./b", "", "a b")) {
            assertThatThrownBy(() -> store.put("t1", "0", bad, text("1"))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.put("../t", "0", "x", text("1"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentWritersOfOneNameHaveOneWinner()
            throws Exception
    {
        FolderArtifactStore store = new FolderArtifactStore(Files.createTempDirectory("store"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> attempts = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int n = i;
                Callable<Boolean> put = () -> {
                    try {
                        store.put("t1", "0", "shared.txt", text("writer " + n));
                        return true;
                    }
                    catch (FileAlreadyExistsException e) {
                        return false;
                    }
                };
                attempts.add(pool.submit(put));
                attempts.add(pool.submit(() -> {
                    store.put("t1", "0", "own/" + n + ".txt", text("x".repeat(n)));
                    return false;
                }));
            }
            long winners = 0;
            for (Future<Boolean> attempt : attempts) {
                winners += attempt.get() ? 1 : 0;
            }
            assertThat(winners).isEqualTo(1);
            assertThat(store.list("t1", "0")).hasSize(33);
        }
        finally {
            pool.shutdown();
        }
    }
}
