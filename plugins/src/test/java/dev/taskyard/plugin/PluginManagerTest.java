package dev.taskyard.plugin;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.host.PluginRegistry;
import dev.taskyard.plugin.internal.HookExecutor;
import dev.taskyard.plugin.internal.HookLivelockException;
import dev.taskyard.plugin.internal.PluginManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static dev.taskyard.plugin.Fixtures.plugin;
import static dev.taskyard.plugin.Fixtures.provider;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PluginManagerTest
{
    private static final String PAYLOAD = "{\"delay\":0,\"function\":\"true\",\"argument\":\"\"";

    private Fixtures fixtures;
    private HookExecutor executor;

    @BeforeEach
    void setUp()
            throws Exception
    {
        fixtures = new Fixtures();
        executor = new HookExecutor(HookExecutor.Settings.defaults());
    }

    @AfterEach
    void tearDown()
            throws Exception
    {
        executor.close();
        fixtures.close();
    }

    private static PluginProvider simple(String name, String payloadSchema, Fixtures.TaskFactory factory)
    {
        return provider(name, null, options -> plugin(payloadSchema, factory));
    }

    @Test
    void aPluginIsEnabledIffItsKeyIsPresentAndItIsNotDisabled()
            throws Exception
    {
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("one", null, o -> TaskPlugin.NONE))
                .register(simple("two", null, o -> TaskPlugin.NONE))
                .register(simple("three", null, o -> TaskPlugin.NONE));
        PluginManager manager = fixtures.manager(registry, "{\"one\":{},\"two\":{},\"disabled\":[\"two\"]}", executor);
        assertThat(manager.enabled()).containsExactly("one");
        manager.dispose();
    }

    @Test
    void enabledPluginsAreCreatedConcurrently()
            throws Exception
    {
        CyclicBarrier barrier = new CyclicBarrier(3);
        Fixtures.Factory meeting = options -> {
            try {
                barrier.await(1, TimeUnit.MINUTES);
            }
            catch (Exception e) {
                throw new FatalInternalErrorException("the plugins were not created concurrently", e);
            }
            return plugin(null, o -> TaskPlugin.NONE);
        };
        PluginRegistry registry = PluginRegistry.empty()
                .register(provider("a", null, meeting))
                .register(provider("b", null, meeting))
                .register(provider("c", null, meeting));
        PluginManager manager = fixtures.manager(registry, "{\"a\":{},\"b\":{},\"c\":{}}", executor);
        assertThat(manager.enabled()).containsExactly("a", "b", "c");
        manager.dispose();
    }

    @Test
    void aConfigViolationNamesThePathAndThePlugin()
    {
        PluginRegistry registry = PluginRegistry.empty()
                .register(provider("limit", "{\"type\":\"object\",\"properties\":{\"max\":{\"type\":\"integer\"}},"
                                + "\"required\":[\"max\"],\"additionalProperties\":false}",
                        options -> plugin(null, o -> TaskPlugin.NONE)));
        assertThatThrownBy(() ->
                fixtures.manager(registry, "{\"limit\":{\"max\":\"ten\",\"extra\":1},\"nope\":{}}", executor))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("$.plugins.limit.max: plugin \"limit\":")
                .hasMessageContaining("$.plugins.limit: plugin \"limit\":")
                .hasMessageContaining("$.plugins.nope: unknown plugin \"nope\"");
    }

    @Test
    void twoPluginsClaimingOneKeyStopTheStartUp()
    {
        String schema = "{\"type\":\"object\",\"properties\":{\"env\":{\"type\":\"object\"}}}";
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("first", schema, o -> TaskPlugin.NONE))
                .register(simple("second", schema, o -> TaskPlugin.NONE));
        assertThatThrownBy(() -> fixtures.manager(registry, "{\"first\":{},\"second\":{}}", executor))
                .isInstanceOf(NamingConflictException.class)
                .hasMessage("payload key \"env\" is claimed by both plugin \"first\" and plugin \"second\"");
    }

    @Test
    void aPluginClaimingAnEngineKeyStopsTheStartUp()
    {
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("greedy",
                        "{\"type\":\"object\",\"properties\":{\"delay\":{\"type\":\"integer\"}}}",
                        o -> TaskPlugin.NONE));
        assertThatThrownBy(() -> fixtures.manager(registry, "{\"greedy\":{}}", executor))
                .isInstanceOf(NamingConflictException.class)
                .hasMessage("payload key \"delay\" is claimed by both engine \"mock\" and plugin \"greedy\"");
    }

    @Test
    void aFailingPluginCreationIsReportedWithItsName()
    {
        PluginRegistry registry = PluginRegistry.empty()
                .register(provider("broken", null, options -> {
                    throw new FatalInternalErrorException("no disk");
                }));
        assertThatThrownBy(() -> fixtures.manager(registry, "{\"broken\":{}}", executor))
                .isInstanceOf(FatalInternalErrorException.class)
                .hasMessageContaining("plugin \"broken\": no disk");
    }

    @Test
    void eachPluginGetsOnlyItsPartOfThePayload()
            throws Exception
    {
        Map<String, ObjectNode> seen = new ConcurrentHashMap<>();
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("a", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}", o -> {
                    seen.put("a", o.payload());
                    return TaskPlugin.NONE;
                }))
                .register(simple("b", "{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"string\"}}}", o -> {
                    seen.put("b", o.payload());
                    return TaskPlugin.NONE;
                }))
                .register(simple("c", null, o -> {
                    seen.put("c", o.payload());
                    return TaskPlugin.NONE;
                }));
        PluginManager manager = fixtures.manager(registry, "{\"a\":{},\"b\":{},\"c\":{}}", executor);
        TaskContext context = fixtures.context();
        PluginManager.Prepared prepared =
                manager.prepare(context, Fixtures.json(PAYLOAD + ",\"a\":1,\"b\":\"x\"}"), TaskReporter.discarding());
        assertThat(prepared.error()).isEmpty();
        assertThat(seen.get("a").toString()).isEqualTo("{\"a\":1}");
        assertThat(seen.get("b").toString()).isEqualTo("{\"b\":\"x\"}");
        assertThat(seen.get("c").toString()).isEqualTo("{}");
        prepared.builder().orElseThrow().discard();
        prepared.plugins().dispose();
        context.dispose();
        manager.dispose();
    }

    @Test
    void taskPluginsAreCreatedEvenWhenThePayloadIsInvalid()
            throws Exception
    {
        List<String> created = new CopyOnWriteArrayList<>();
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("logger", null, o -> {
                    created.add("logger");
                    return TaskPlugin.NONE;
                }))
                .register(simple("typed",
                        "{\"type\":\"object\",\"properties\":{\"typed\":{\"type\":\"integer\"}}}", o -> {
                    created.add("typed");
                    return TaskPlugin.NONE;
                }));
        PluginManager manager = fixtures.manager(registry, "{\"logger\":{},\"typed\":{}}", executor);
        TaskContext context = fixtures.context();
        PluginManager.Prepared prepared =
                manager.prepare(context,
                Fixtures.json("{\"delay\":\"x\",\"function\":\"true\",\"typed\":\"nine\",\"zzz\":true}"),
                TaskReporter.discarding());
        assertThat(created).containsExactly("logger");
        assertThat(prepared.builder()).isEmpty();
        assertThat(prepared.error()).get().isInstanceOf(MalformedPayloadException.class);
        List<String> messages = ((MalformedPayloadException) prepared.error().get()).messages();
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("task payload: $.zzz: unknown key"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("engine \"mock\": $.delay:"));
        assertThat(messages).anySatisfy(m ->
                assertThat(m).startsWith("engine \"mock\": $: required property 'argument'"));
        assertThat(messages).anySatisfy(m -> assertThat(m).startsWith("plugin \"typed\": $.typed:"));
        prepared.plugins().dispose();
        context.dispose();
        manager.dispose();
    }

    @Test
    void hooksOfOneStageRunInParallel()
            throws Exception
    {
        CyclicBarrier barrier = new CyclicBarrier(3);
        Fixtures.TaskFactory meeting = o -> new TaskPlugin()
        {
            @Override
            public void buildSandbox(BuildSandboxRequest request)
                    throws EngineException
            {
                try {
                    barrier.await(1, TimeUnit.MINUTES);
                }
                catch (Exception e) {
                    throw new NonFatalInternalErrorException("the hooks did not meet", e);
                }
            }
        };
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("a", null, meeting)).register(simple("b", null, meeting))
                        .register(simple("c", null, meeting));
        PluginManager manager = fixtures.manager(registry, "{\"a\":{},\"b\":{},\"c\":{}}", executor);
        TaskContext context = fixtures.context();
        PluginManager.Prepared prepared =
                manager.prepare(context, Fixtures.json(PAYLOAD + "}"), TaskReporter.discarding());
        SandboxBuilder builder = prepared.builder().orElseThrow();
        prepared.plugins().buildSandbox(builder);
        builder.discard();
        prepared.plugins().dispose();
        context.dispose();
        manager.dispose();
    }

    @Test
    void errorPriorityIsFatalThenNonFatalThenMergedMalformed()
            throws Exception
    {
        assertThat(stageError("malformed", "malformed")).isInstanceOf(MalformedPayloadException.class)
                .satisfies(e -> assertThat(((MalformedPayloadException) e).messages())
                        .containsExactly("plugin \"a\": bad a", "plugin \"b\": bad b"));
        assertThat(stageError("malformed", "nonfatal")).isInstanceOf(NonFatalInternalErrorException.class);
        assertThat(stageError("fatal", "nonfatal")).isInstanceOf(FatalInternalErrorException.class);
        assertThat(stageError("nonfatal", "fatal")).isInstanceOf(FatalInternalErrorException.class);
        assertThat(stageError("runtime", "malformed")).isInstanceOf(FatalInternalErrorException.class)
                .hasMessageContaining("incident id");
    }

    private EngineException stageError(String errorA, String errorB)
            throws Exception
    {
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("a", null, o -> failingStarted(errorA, "bad a")))
                .register(simple("b", null, o -> failingStarted(errorB, "bad b")));
        PluginManager manager = fixtures.manager(registry, "{\"a\":{},\"b\":{}}", executor);
        TaskContext context = fixtures.context();
        PluginManager.Prepared prepared =
                manager.prepare(context, Fixtures.json(PAYLOAD + "}"), TaskReporter.discarding());
        var sandbox = prepared.builder().orElseThrow().startSandbox();
        try {
            prepared.plugins().started(sandbox);
            throw new AssertionError("no error");
        }
        catch (EngineException e) {
            if (!(e instanceof MalformedPayloadException)
                    && (errorA.equals("malformed") || errorB.equals("malformed"))) {
                assertThat(context.log().contentAsString()).contains("[taskyard] malformed payload: plugin");
            }
            return e;
        }
        finally {
            sandbox.waitForResult().dispose();
            prepared.plugins().dispose();
            context.dispose();
            manager.dispose();
        }
    }

    private static TaskPlugin failingStarted(String kind, String message)
    {
        return new TaskPlugin()
        {
            @Override
            public void started(StartedRequest request)
                    throws EngineException
            {
                switch (kind) {
                    case "malformed" -> throw new MalformedPayloadException(message);
                    case "nonfatal" -> throw new NonFatalInternalErrorException(message);
                    case "fatal" -> throw new FatalInternalErrorException(message);
                    default -> throw new IllegalStateException(message);
                }
            }
        };
    }

    @Test
    void aHookPastTheLimitIsReportedAsALivelock()
            throws Exception
    {
        try (HookExecutor quick = new HookExecutor(new HookExecutor.Settings(Duration.ofMillis(30)))) {
            PluginRegistry registry = PluginRegistry.empty()
                    .register(simple("stuck", null, o -> new TaskPlugin()
                    {
                        @Override
                        public void started(StartedRequest request)
                        {
                            try {
                                Thread.sleep(TimeUnit.MINUTES.toMillis(5));
                            }
                            catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }))
                    .register(simple("fine", null, o -> TaskPlugin.NONE));
            PluginManager manager = fixtures.manager(registry, "{\"stuck\":{},\"fine\":{}}", quick);
            TaskContext context = fixtures.context();
            PluginManager.Prepared prepared =
                    manager.prepare(context, Fixtures.json(PAYLOAD + "}"), TaskReporter.discarding());
            var sandbox = prepared.builder().orElseThrow().startSandbox();
            assertThatThrownBy(() -> prepared.plugins().started(sandbox))
                    .isInstanceOf(HookLivelockException.class)
                    .hasMessageContaining("livelock detected: plugin \"stuck\" ran its started hook for longer than "
                            + "PT0.03S");
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            assertThat(context.log().contentAsString()).containsPattern("livelock detected.*incident id [0-9a-f]{16}");
            sandbox.waitForResult().dispose();
            prepared.plugins().dispose();
            context.dispose();
            manager.dispose();
        }
    }

    @Test
    void aForkedHookPastTheLimitIsReportedAndTheStageStopsWaitingForIt()
            throws Exception
    {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch quickRan = new java.util.concurrent.CountDownLatch(1);
        try (HookExecutor quick = new HookExecutor(new HookExecutor.Settings(Duration.ofMillis(30)))) {
            PluginRegistry registry = PluginRegistry.empty()
                    .register(simple("slow-first", null, o -> new TaskPlugin()
                    {
                        @Override
                        public void started(StartedRequest request)
                        {
                            try {
                                quickRan.await(1, TimeUnit.MINUTES);
                            }
                            catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }))
                    .register(simple("stuck", null, o -> new TaskPlugin()
                    {
                        @Override
                        public void started(StartedRequest request)
                        {
                            quickRan.countDown();
                            try {
                                release.await(5, TimeUnit.MINUTES);
                            }
                            catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }));
            PluginManager manager = fixtures.manager(registry, "{\"slow-first\":{},\"stuck\":{}}", quick);
            TaskContext context = fixtures.context();
            PluginManager.Prepared prepared =
                    manager.prepare(context, Fixtures.json(PAYLOAD + "}"), TaskReporter.discarding());
            var sandbox = prepared.builder().orElseThrow().startSandbox();
            assertThatThrownBy(() -> prepared.plugins().started(sandbox))
                    .isInstanceOf(HookLivelockException.class)
                    .hasMessageContaining("plugin \"stuck\" ran its started hook");
            release.countDown();
            sandbox.waitForResult().dispose();
            prepared.plugins().dispose();
            context.dispose();
            manager.dispose();
        }
    }

    @Test
    void taskPluginsRefuseConcurrentAndLateCalls()
            throws Exception
    {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        PluginRegistry registry = PluginRegistry.empty().register(simple("slow", null, o -> new TaskPlugin()
        {
            @Override
            public void started(StartedRequest request)
                    throws EngineException
            {
                inside.countDown();
                try {
                    release.await(1, TimeUnit.MINUTES);
                }
                catch (InterruptedException e) {
                    throw new NonFatalInternalErrorException("interrupted", e);
                }
            }
        }));
        PluginManager manager = fixtures.manager(registry, "{\"slow\":{}}", executor);
        TaskContext context = fixtures.context();
        PluginManager.Prepared prepared =
                manager.prepare(context, Fixtures.json(PAYLOAD + "}"), TaskReporter.discarding());
        var sandbox = prepared.builder().orElseThrow().startSandbox();
        ExecutorService other = Executors.newSingleThreadExecutor();
        Future<?> first = other.submit(() -> {
            prepared.plugins().started(sandbox);
            return null;
        });
        assertThat(inside.await(1, TimeUnit.MINUTES)).isTrue();
        assertThatThrownBy(() -> prepared.plugins().exception(ExceptionReason.CANCELED))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("concurrently");
        release.countDown();
        first.get(1, TimeUnit.MINUTES);
        other.shutdown();
        sandbox.waitForResult().dispose();
        prepared.plugins().dispose();
        assertThatThrownBy(() -> prepared.plugins().finished(true)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("disposed");
        context.dispose();
        manager.dispose();
    }

    @Test
    void prepareIsThreadSafe()
            throws Exception
    {
        PluginRegistry registry = PluginRegistry.empty()
                .register(simple("a",
                        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}", o -> new TaskPlugin()
                {
                    @Override
                    public void buildSandbox(BuildSandboxRequest request)
                            throws EngineException
                    {
                        request.builder().setEnvironmentVariable("A", o.payload().path("a").asText());
                    }
                }));
        PluginManager manager = fixtures.manager(registry, "{\"a\":{}}", executor);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<String>> results = new java.util.ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int n = i;
            results.add(pool.submit(() -> {
                TaskContext context = TaskContext.builder().taskId("t" + n).logSpillFolder(fixtures.temp).build();
                PluginManager.Prepared prepared = manager.prepare(context,
                        Fixtures.json("{\"delay\":0,\"function\":\"print-env-var\",\"argument\":\"A\",\"a\":" + n
                                + "}"), TaskReporter.discarding());
                prepared.plugins().buildSandbox(prepared.builder().orElseThrow());
                var result = prepared.builder().orElseThrow().startSandbox().waitForResult();
                result.dispose();
                prepared.plugins().dispose();
                String log = context.log().contentAsString();
                context.dispose();
                return log;
            }));
        }
        for (int i = 0; i < 64; i++) {
            assertThat(results.get(i).get(1, TimeUnit.MINUTES)).isEqualTo(i + "\n");
        }
        pool.shutdown();
        manager.dispose();
        assertThat(fixtures.tracker.isEmpty()).isTrue();
    }
}
