package dev.taskyard.worker;

import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.plugin.host.PluginRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class WorkerConfigTest
{
    private final EngineRegistry engines = EngineRegistry.load();
    private final PluginRegistry plugins = PluginRegistry.load();

    @Test
    void readsYamlAndJson()
            throws Exception
    {
        WorkerConfig yaml = WorkerConfig.parse("""
                worker: {workerId: w1, workerGroup: pool, concurrency: 4, pollInterval: 0.5}
                engine: mock
                engines: {mock: {maxConcurrency: 2}}
                plugins: {success: {}, maxruntime: {maxRunTime: 30}}
                """, engines, plugins);
        assertThat(yaml.identity().workerGroup()).isEqualTo("pool");
        assertThat(yaml.concurrency()).isEqualTo(4);
        assertThat(yaml.pollInterval().toMillis()).isEqualTo(500);
        assertThat(yaml.engineConfig().path("maxConcurrency").asInt()).isEqualTo(2);
        WorkerConfig json = WorkerConfig.parse("{\"worker\":{\"workerId\":\"w1\"},\"engine\":\"mock\"}",
                engines, plugins);
        assertThat(json.concurrency()).isEqualTo(1);
        assertThat(json.pluginsConfig().size()).isZero();
    }

    @Test
    void reportsEveryViolationWithItsPathAndComponent()
    {
        InvalidConfigException error = catchThrowableOfType(InvalidConfigException.class, () -> WorkerConfig.parse("""
                worker: {workerId: "bad id", concurrency: zero}
                engine: mock
                engines: {mock: {maxConcurrency: -1}}
                plugins:
                  maxruntime: {maxRunTime: "ten"}
                  nosuch: {}
                  disabled: [ghost]
                extra: 1
                """, engines, plugins));
        assertThat(error.violations()).extracting(Violation::path).contains(
                "$.extra", "$.worker.workerId", "$.worker.concurrency", "$.engines.mock.maxConcurrency",
                "$.plugins.maxruntime.maxRunTime", "$.plugins.nosuch", "$.plugins.disabled[0]");
        assertThat(error.getMessage())
                .contains("$.engines.mock.maxConcurrency: engine \"mock\":")
                .contains("$.plugins.maxruntime.maxRunTime: plugin \"maxruntime\":")
                .contains("$.worker.concurrency: worker:");
    }

    @Test
    void aMissingOrUnknownEngineIsNamed()
    {
        assertThatThrownBy(() -> WorkerConfig.parse("worker: {workerId: w1}\nengine: warp", engines, plugins))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("$.engine: config: no engine named \"warp\"; available: [");
        assertThatThrownBy(() -> WorkerConfig.parse("worker: {workerId: w1}", engines, plugins))
                .hasMessageContaining("$.engine: config: the engine's name is required");
        assertThatThrownBy(() -> WorkerConfig.parse("worker: [", engines, plugins))
                .hasMessageContaining("not valid YAML or JSON");
    }

    @Test
    void aDisabledPluginsConfigIsNotValidated()
            throws Exception
    {
        WorkerConfig config = WorkerConfig.parse("worker: {workerId: w1}\nengine: mock\n"
                + "plugins: {maxruntime: {maxRunTime: bad}, disabled: [maxruntime]}", engines, plugins);
        assertThat(config.pluginsConfig().has("maxruntime")).isTrue();
    }

    @Test
    void theConfigSchemaCoversEverySection()
    {
        var schema = WorkerSchemas.config(engines, plugins);
        assertThat(schema.path("properties").path("worker").path("properties").has("concurrency")).isTrue();
        assertThat(schema.path("properties").path("engines").path("properties").has("mock")).isTrue();
        assertThat(schema.path("properties").path("plugins").path("properties").has("maxruntime")).isTrue();
        assertThat(schema.path("properties").path("plugins").path("properties").path("disabled").path("items")
                .path("enum").toString()).contains("\"env\"");
    }
}
