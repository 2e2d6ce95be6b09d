package dev.taskyard.engine.docker;

import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.Violation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Config consistency and payload limits. None of this contacts the daemon (limits are checked before anything is
 * created), so these tests run without Docker, against a socket where nothing answers.
 */
class DockerEngineConfigTest
{
    private final ResourceTracker tracker = new ResourceTracker();
    private Engine engine;

    @AfterEach
    void dispose()
            throws Exception
    {
        if (engine != null) {
            engine.dispose();
        }
        assertThat(tracker.live()).isEmpty();
    }

    private Engine engine(ObjectNode config)
            throws Exception
    {
        engine = TestEngines.create(config.put("socket", TestEngines.DEAD_SOCKET), "config-test", tracker);
        return engine;
    }

    private static ObjectNode limited()
    {
        return TestEngines.MAPPER.createObjectNode().put("maxCpus", 2).put("maxMemoryMiB", 1024).put("maxPids", 100);
    }

    private MalformedPayloadException refused(ObjectNode payload)
    {
        TaskContext context = TaskContext.builder().build();
        try {
            return (MalformedPayloadException) org.assertj.core.api.Assertions.catchThrowable(
                    () -> engine.newSandboxBuilder(TestEngines.options(engine, payload, context)));
        }
        finally {
            context.dispose();
        }
    }

    @Test
    void capabilitiesListExactlyTheSupportedFeatures()
            throws Exception
    {
        Engine created = engine(TestEngines.MAPPER.createObjectNode().put("maxConcurrency", 3));
        assertThat(created.capabilities().maxConcurrency()).isEqualTo(3);
        assertThat(created.capabilities().features())
                .containsExactlyInAnyOrder(Feature.ENVIRONMENT_VARIABLES, Feature.VOLUMES,
                        Feature.SHELLS, Feature.ARTIFACTS, Feature.RECOVERY);
        created.dispose();
        Engine withoutRecovery = engine(TestEngines.MAPPER.createObjectNode().put("recovery", false));
        assertThat(withoutRecovery.capabilities().features())
                .containsExactlyInAnyOrder(Feature.ENVIRONMENT_VARIABLES, Feature.VOLUMES,
                        Feature.SHELLS, Feature.ARTIFACTS);
    }

    @Test
    void memoryAboveTheMaximumIsMalformedAndNamesFieldAndMaximum()
            throws Exception
    {
        engine(limited());
        ObjectNode payload = TestEngines.payload("busybox", "true").put("memoryMiB", 2048);
        MalformedPayloadException error = refused(payload);
        assertThat(error).isNotNull();
        assertThat(error.messages()).singleElement().asString().contains("memoryMiB 2048").contains("maximum of 1024");
    }

    @Test
    void cpusAndPidsAboveTheirMaximaAreAllReported()
            throws Exception
    {
        engine(limited());
        ObjectNode payload =
                TestEngines.payload("busybox", "true").put("cpus", 2.5).put("pids", 101).put("memoryMiB", 5000);
        MalformedPayloadException error = refused(payload);
        assertThat(error.messages()).hasSize(3);
        assertThat(error.messages().get(0)).contains("cpus 2.5").contains("maximum of 2");
        assertThat(error.messages().get(1)).contains("memoryMiB 5000").contains("maximum of 1024");
        assertThat(error.messages().get(2)).contains("pids 101").contains("maximum of 100");
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void limitsAtTheMaximumAreAccepted()
            throws Exception
    {
        engine(limited());
        TaskContext context = TaskContext.builder().build();
        SandboxBuilder builder = engine.newSandboxBuilder(TestEngines.options(engine,
                TestEngines.payload("busybox", "true").put("cpus", 2).put("memoryMiB", 1024)
                        .put("pids", 100), context));
        assertThat(tracker.live()).hasSize(1);
        builder.discard();
        context.dispose();
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void privilegedNeedsTheAllowPolicy()
            throws Exception
    {
        engine(TestEngines.MAPPER.createObjectNode());
        MalformedPayloadException error = refused(TestEngines.payload("busybox", "true").put("privileged", true));
        assertThat(error.messages()).singleElement().asString().contains("privileged").contains("never");
        engine.dispose();

        engine(TestEngines.MAPPER.createObjectNode().put("privileged", "allow"));
        TaskContext context = TaskContext.builder().build();
        engine.newSandboxBuilder(TestEngines.options(engine,
                TestEngines.payload("busybox", "true").put("privileged", true), context)).discard();
        context.dispose();
    }

    @Test
    void payloadSchemaRefusesUnknownFieldsAndMissingCommand()
            throws Exception
    {
        engine(TestEngines.MAPPER.createObjectNode());
        ObjectNode extra = TestEngines.payload("busybox", "true").put("network", "host");
        assertThat(engine.payloadSchema().validate(extra)).extracting(Violation::keyword)
                .contains("additionalProperties");
        ObjectNode noCommand = TestEngines.MAPPER.createObjectNode().put("image", "busybox");
        assertThat(engine.payloadSchema().validate(noCommand)).extracting(Violation::keyword).contains("required");
        ObjectNode emptyCommand = TestEngines.payload("busybox");
        assertThat(engine.payloadSchema().validate(emptyCommand)).isNotEmpty();
    }

    @Test
    void defaultAboveMaximumIsAnInvalidConfig()
    {
        ObjectNode config = TestEngines.MAPPER.createObjectNode().put("defaultCpus", 4).put("maxCpus", 2)
                .put("defaultPids", 10).put("maxPids", 5);
        assertThatThrownBy(() -> engine(config))
                .isInstanceOfSatisfying(InvalidConfigException.class,
                        e -> assertThat(e.violations()).extracting(Violation::path)
                        .containsExactly("$.defaultCpus", "$.defaultPids"));
    }

    @Test
    void networksOtherThanNoneMustBeAllowed()
            throws Exception
    {
        assertThatThrownBy(() -> engine(TestEngines.MAPPER.createObjectNode().put("network", "bridge")))
                .isInstanceOfSatisfying(InvalidConfigException.class,
                        e -> assertThat(e.getMessage()).contains("allowedNetworks"));
        ObjectNode allowed = TestEngines.MAPPER.createObjectNode().put("network", "bridge");
        allowed.putArray("allowedNetworks").add("bridge");
        engine(allowed);
    }

    @Test
    void capabilitiesMustBeKnownAndAllCannotBeAdded()
    {
        ObjectNode config = TestEngines.MAPPER.createObjectNode();
        config.putArray("capAdd").add("ALL").add("NOT_A_CAPABILITY");
        assertThatThrownBy(() -> engine(config))
                .isInstanceOfSatisfying(InvalidConfigException.class,
                        e -> assertThat(e.violations()).extracting(Violation::path)
                        .containsExactlyInAnyOrder("$.capAdd[1]", "$.capAdd"));
    }

    @Test
    void configSchemaRefusesUnknownKeysAndBadSockets()
    {
        assertThatThrownBy(() ->
                TestEngines.create(TestEngines.MAPPER.createObjectNode().put("sockett", "x"), "config-test", tracker))
                .isInstanceOf(InvalidConfigException.class);
        assertThatThrownBy(() ->
                TestEngines.create(TestEngines.MAPPER.createObjectNode().put("socket", "https://example.invalid"),
                "config-test", tracker))
                .isInstanceOf(InvalidConfigException.class);
        assertThat(List.of("unix:///var/run/docker.sock", "tcp://127.0.0.1:2375")).allSatisfy(socket ->
                assertThat(new DockerEngineProvider().configSchema()
                        .validate(TestEngines.MAPPER.createObjectNode().put("socket", socket))).isEmpty());
    }
}
