package dev.taskyard.server.internal;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.store.SqliteTaskStore;
import dev.taskyard.store.TaskStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StoreFactoryTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    private static JsonNode json(String text)
            throws IOException
    {
        return JSON.readTree(text);
    }

    @Test
    void withoutAStoreSectionServeUsesSqliteInTheDataFolder()
            throws Exception
    {
        try (TaskStore store = StoreFactory.open(null, ServerSettings.of(json("{\"maxAttempts\":5}")), folder)) {
            assertThat(store).isInstanceOf(SqliteTaskStore.class);
            assertThat(((SqliteTaskStore) store).options().maxAttempts()).isEqualTo(5);
        }
        assertThat(folder.resolve("store/taskyard.db")).exists();
        try (TaskStore store = StoreFactory.open(json("{\"type\":\"sqlite\",\"retentionHours\":1}"),
                ServerSettings.of(null), folder)) {
            assertThat(((SqliteTaskStore) store).options().retention()).hasHours(1);
        }
    }

    @Test
    void everyViolationIsReportedWithItsPath()
    {
        assertThatThrownBy(() -> StoreFactory.validate(
                        json("{\"type\":\"postgresql\",\"url\":\"http://x\",\"poolSize\":1,\"colour\":\"red\"}")))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("$.store.url")
                .hasMessageContaining("$.store.poolSize")
                .hasMessageContaining("colour")
                .hasMessageContaining("user");
        assertThatThrownBy(() -> StoreFactory.validate(json("{\"type\":\"mysql\"}")))
                .hasMessageContaining("$.store.type");
        assertThatThrownBy(() ->
                StoreFactory.validate(json("{\"type\":\"sqlite\",\"url\":\"jdbc:postgresql://h/db\"}")))
                .hasMessageContaining("$.store.url");
        assertThatThrownBy(() -> StoreFactory.validate(json("{}"))).hasMessageContaining("type");
    }

    @Test
    void anUnreadablePasswordFileOrAnUnreachableDatabaseIsAClearError()
            throws Exception
    {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/taskyard";
        JsonNode missingFile =
                json("{\"type\":\"postgresql\",\"url\":\"" + url + "\",\"user\":\"ty\",\"passwordFile\":\""
                + folder.resolve("nope") + "\"}");
        assertThatThrownBy(() -> StoreFactory.open(missingFile, ServerSettings.of(null), folder))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("$.store.passwordFile");
        Path password = Files.writeString(folder.resolve("password"), "s3cret\n");
        JsonNode unreachable =
                json("{\"type\":\"postgresql\",\"url\":\"" + url + "\",\"user\":\"ty\",\"passwordFile\":\"" + password
                + "\",\"connectTimeoutSeconds\":1}");
        assertThatThrownBy(() -> StoreFactory.open(unreachable, ServerSettings.of(null), folder))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("cannot connect to PostgreSQL at " + url + " as ty")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
    }
}
