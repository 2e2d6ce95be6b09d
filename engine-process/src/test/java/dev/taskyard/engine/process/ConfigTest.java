package dev.taskyard.engine.process;

import java.util.List;

import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.schema.Violation;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Config and payload schemas, validated through the registry as the host does. */
class ConfigTest
{
    private final EngineRegistry registry = EngineRegistry.load();

    @Test
    void validConfigs()
            throws Exception
    {
        for (String config : List.of("{}", "{\"maxConcurrency\": 0}",
                "{\"rootFolder\": \"/tmp/x\", \"maxConcurrency\": 4, \"keepWorkDirs\": true, \"defaultPath\": "
                + "\"/bin\"}")) {
            assertThat(registry.validateConfig("process", EngineFixture.json(config))).as(config).isEmpty();
        }
    }

    @Test
    void violationsNameTheirJsonPaths()
            throws Exception
    {
        List<Violation> violations = registry.validateConfig("process", EngineFixture.json(
                "{\"rootFolder\": \"relative/path\", \"maxConcurrency\": -1, \"keepWorkDirs\": \"yes\", "
                        + "\"defaultPath\": 7, \"logCap\": 5}"));
        assertThat(violations).extracting(Violation::path)
                .contains("$.rootFolder", "$.maxConcurrency", "$.keepWorkDirs", "$.defaultPath");
        assertThat(violations)
                .anyMatch(violation -> violation.keyword().equals("additionalProperties")
                && violation.toString().contains("logCap"));
        assertThat(registry.validateConfig("process", EngineFixture.json("{\"maxConcurrency\": 1.5}")))
                .extracting(Violation::path).containsExactly("$.maxConcurrency");
    }

    @Test
    void createEngineRefusesAnInvalidConfig()
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        EngineContext context = new EngineContext(EngineFixture.tmpdir(), LoggerFactory.getLogger("test"),
                new WorkerIdentity("g", "w"), tracker);
        assertThatThrownBy(() ->
                registry.createEngine("process", EngineFixture.json("{\"maxConcurrency\": \"many\"}"), context))
                .isInstanceOfSatisfying(InvalidConfigException.class, error -> {
                    assertThat(error.violations()).extracting(Violation::path).containsExactly("$.maxConcurrency");
                    assertThat(error.getMessage()).contains("$.maxConcurrency");
                });
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void payloadSchema()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture()) {
            var schema = fixture.engine().payloadSchema();
            assertThat(schema.validate(EngineFixture.json("{\"command\": [\"echo\", \"hi\"]}"))).isEmpty();
            assertThat(schema.validate(EngineFixture.json("{\"command\": [\"echo\"], \"workingFolder\": \"sub\"}")))
                    .isEmpty();
            assertThat(schema.validate(EngineFixture.json("{}"))).extracting(Violation::keyword).contains("required");
            assertThat(schema.validate(EngineFixture.json("{\"command\": []}")))
                    .extracting(Violation::path).contains("$.command");
            assertThat(schema.validate(EngineFixture.json("{\"command\": [\"\"]}"))).extracting(Violation::path)
                    .contains("$.command[0]");
            assertThat(schema.validate(EngineFixture.json("{\"command\": [\"a\", 1]}"))).extracting(Violation::path)
                    .contains("$.command[1]");
            assertThat(schema.validate(EngineFixture.json("{\"command\": [\"a\"], \"image\": \"x\"}"))).isNotEmpty();
        }
    }

    @Test
    void maxConcurrencyCountsBuildersSandboxesAndResultSets()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture("{\"maxConcurrency\": 1}")) {
            SandboxBuilder first = fixture.builder("true");
            assertThatThrownBy(() -> fixture.builder("true")).isInstanceOf(MaxConcurrencyExceededException.class);
            var result = first.startSandbox().waitForResult();
            assertThatThrownBy(() -> fixture.builder("true")).isInstanceOf(MaxConcurrencyExceededException.class);
            result.dispose();
            fixture.builder("true").discard();
            assertThatThrownBy(() ->
                    fixture.builder("{\"command\": [\"true\"], \"workingFolder\": \"/abs\"}", fixture.newContext()))
                    .isInstanceOf(MalformedPayloadException.class);
            fixture.builder("true").discard();
        }
    }

    @Test
    void isolationKeysAreValidatedWithTheirPaths()
            throws Exception
    {
        assertThat(registry.validateConfig("process", EngineFixture.json(
                "{\"runAs\": \"fresh\", \"uidRange\": {\"first\": 800000000, \"count\": 10}, \"cgroups\": \"auto\", "
                        + "\"maxMemoryMiB\": 64, "
                        + "\"defaultMemoryMiB\": 32, \"maxPids\": 10, \"defaultPids\": 5, \"maxCpus\": 1.5, "
                                + "\"bubblewrap\": \"on\", \"allowNetwork\": true}")))
                .isEmpty();
        assertThat(registry.validateConfig("process", EngineFixture.json(
                "{\"runAs\": \"nobody\", \"cgroups\": true, \"bubblewrap\": \"maybe\", \"maxPids\": 0, \"uidRange\": "
                        + "{\"first\": 5}}")))
                .extracting(Violation::path)
                        .contains("$.runAs", "$.cgroups", "$.bubblewrap", "$.maxPids", "$.uidRange");
    }

    @Test
    void aDefaultLimitAboveItsMaximumOrRunAsUserWithoutAUserIsRefused()
    {
        ResourceTracker tracker = new ResourceTracker();
        EngineContext context = new EngineContext(EngineFixture.tmpdir(), LoggerFactory.getLogger("test"),
                new WorkerIdentity("g", "w"), tracker);
        assertThatThrownBy(() ->
                registry.createEngine("process",
                EngineFixture.json("{\"defaultPids\": 100, \"maxPids\": 10}"), context))
                .isInstanceOfSatisfying(InvalidConfigException.class,
                        error -> assertThat(error.violations()).extracting(Violation::path)
                        .containsExactly("$.defaultPids"));
        assertThatThrownBy(() -> registry.createEngine("process", EngineFixture.json("{\"runAs\": \"user\"}"), context))
                .isInstanceOfSatisfying(InvalidConfigException.class,
                        error -> assertThat(error.violations()).extracting(Violation::path)
                        .containsExactly("$.user"));
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void payloadLimitsAboveTheMaximaAreMalformed()
            throws Exception
    {
        try (EngineFixture fixture = new EngineFixture("{\"maxPids\": 10, \"maxMemoryMiB\": 64, \"maxCpus\": 1}")) {
            assertThatThrownBy(() ->
                    fixture.builder("{\"command\": [\"true\"], \"pids\": 11, \"memoryMiB\": 65, \"cpus\": 2}",
                    fixture.newContext()))
                    .isInstanceOfSatisfying(MalformedPayloadException.class,
                            error -> assertThat(error.messages()).hasSize(3)
                            .anyMatch(message -> message.startsWith("pids 11 is above the maximum of 10"))
                            .anyMatch(message -> message.startsWith("memoryMiB 65 is above the maximum of 64"))
                            .anyMatch(message -> message.startsWith("cpus 2 is above the maximum of 1")));
            fixture.builder("{\"command\": [\"true\"], \"pids\": 10, \"memoryMiB\": 64, \"cpus\": 0.5}",
                    fixture.newContext()).discard();
        }
    }
}
