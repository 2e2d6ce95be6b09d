package dev.taskyard.server.internal;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.TaskReporter;
import dev.taskyard.store.TaskStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class StoreLogPluginProviderTest
{
    @TempDir
    Path temp;

    /** What the plugin wrote to the store: the bytes, the closes, and on which threads. */
    private static final class Recorded
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final CountDownLatch appended = new CountDownLatch(1);

        TaskStore store()
        {
            return (TaskStore) Proxy.newProxyInstance(TaskStore.class.getClassLoader(),
                    new Class<?>[] {TaskStore.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "appendLog" -> {
                                synchronized (bytes) {
                                    bytes.write((byte[]) args[2], (int) args[3], (int) args[4]);
                                }
                                calls.add("append on " + Thread.currentThread().getName());
                                appended.countDown();
                                return null;
                            }
                            case "closeLog" -> {
                                calls.add("close on " + Thread.currentThread().getName());
                                return null;
                            }
                            case "toString" -> {
                                return "recording store";
                            }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                    });
        }

        String text()
        {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private TaskContext context()
            throws Exception
    {
        return TaskContext.builder().taskId("t1").runId("0")
                .logSpillFolder(Files.createDirectories(temp.resolve("logs"))).build();
    }

    private static TaskPlugin plugin(StoreLogPluginProvider provider, TaskContext context)
            throws Exception
    {
        return provider.createPlugin(null).newTaskPlugin(new TaskPluginOptions(context,
                JsonNodeFactory.instance.objectNode(), new TaskReporter() {}));
    }

    @Test
    void aShortRunsClosedLogIsCopiedOnTheTaskThreadAtTheFinishedHook()
            throws Exception
    {
        Recorded recorded = new Recorded();
        StoreLogPluginProvider provider = new StoreLogPluginProvider(recorded.store());
        TaskContext context = context();
        try {
            TaskPlugin plugin = plugin(provider, context);
            context.log().writeLine("hello");
            context.log().close();
            plugin.finished(new FinishedRequest(true, context));
            String self = Thread.currentThread().getName();
            assertThat(recorded.text()).isEqualTo("hello\n");
            assertThat(recorded.calls).containsExactly("append on " + self, "close on " + self);
            plugin.dispose();
            assertThat(recorded.calls).hasSize(2);
        }
        finally {
            context.dispose();
        }
    }

    @Test
    void aRunThatWroteNothingCostsTheStoreNoWrite()
            throws Exception
    {
        Recorded recorded = new Recorded();
        StoreLogPluginProvider provider = new StoreLogPluginProvider(recorded.store());
        TaskContext context = context();
        try {
            TaskPlugin plugin = plugin(provider, context);
            context.log().close();
            plugin.finished(new FinishedRequest(true, context));
            plugin.dispose();
            assertThat(recorded.calls).as("no append and no close for an empty log").isEmpty();
        }
        finally {
            context.dispose();
        }
    }

    @Test
    void aLongerRunThatWroteNothingCostsTheStoreNoWriteEither()
            throws Exception
    {
        Recorded recorded = new Recorded();
        StoreLogPluginProvider provider = new StoreLogPluginProvider(recorded.store());
        TaskContext context = context();
        try {
            TaskPlugin plugin = plugin(provider, context);
            // the run outlasts LIVE_AFTER: its log is followed live on a pooled thread, which reaches the log's end
            // at its close having copied nothing
            Thread.sleep(5 * StoreLogPluginProvider.LIVE_AFTER_MILLIS);
            context.log().close();
            plugin.exception(new ExceptionRequest(ExceptionReason.INTERNAL_ERROR, context));
            plugin.dispose();
            assertThat(recorded.calls).as("no append and no close for an empty log").isEmpty();
        }
        finally {
            context.dispose();
        }
    }

    @Test
    void aLongerRunsLogIsFollowedLiveBeforeItEnds()
            throws Exception
    {
        Recorded recorded = new Recorded();
        StoreLogPluginProvider provider = new StoreLogPluginProvider(recorded.store());
        TaskContext context = context();
        try {
            TaskPlugin plugin = plugin(provider, context);
            context.log().writeLine("first");
            // the run goes on: the copy starts on its own (after LIVE_AFTER) and the line reaches the store while
            // the log is still open
            assertThat(recorded.appended.await(1, TimeUnit.MINUTES)).isTrue();
            assertThat(context.log().isClosed()).isFalse();
            assertThat(recorded.text()).isEqualTo("first\n");
            context.log().writeLine("second");
            context.log().close();
            plugin.finished(new FinishedRequest(true, context));
            assertThat(recorded.text()).isEqualTo("first\nsecond\n");
            assertThat(recorded.calls).last().asString().startsWith("close on taskyard-storelog-");
            assertThat(recorded.calls).allSatisfy(call -> assertThat(call).contains("taskyard-storelog-"));
            plugin.dispose();
        }
        finally {
            context.dispose();
        }
    }
}
