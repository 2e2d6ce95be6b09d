package dev.taskyard.engine;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.schema.Violation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class EngineRegistryTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final String STRICT_SCHEMA = """
            {
              "type": "object",
              "required": ["root"],
              "properties": {
                "root": {"type": "string"},
                "maxConcurrency": {"type": "integer", "minimum": 0}
              },
              "additionalProperties": false
            }
            """;

    @TempDir
    Path tempFolder;

    /** A provider with a given name and schema that counts the engines it creates. */
    static class NamedProvider
            implements EngineProvider
    {
        private final String name;
        private final JsonSchema schema;
        final AtomicInteger created = new AtomicInteger();
        final AtomicReference<EngineOptions> lastOptions = new AtomicReference<>();

        NamedProvider(String name)
        {
            this(name, JsonSchema.emptyObject());
        }

        NamedProvider(String name, JsonSchema schema)
        {
            this.name = name;
            this.schema = schema;
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public JsonSchema configSchema()
        {
            return schema;
        }

        @Override
        public Engine createEngine(EngineOptions options)
                throws EngineException
        {
            created.incrementAndGet();
            lastOptions.set(options);
            return new StubEngine(options);
        }
    }

    /** A second class, so that a duplicate name names two different classes. */
    static class OtherNamedProvider
            extends NamedProvider
    {
        OtherNamedProvider(String name)
        {
            super(name);
        }

        @Override
        public String version()
        {
            return "2.5";
        }
    }

    private EngineContext engineContext()
    {
        return new EngineContext(tempFolder, LoggerFactory.getLogger("test-engine"),
                new WorkerIdentity("group", "worker-1"), new ResourceTracker());
    }

    private static JsonNode json(String text)
            throws IOException
    {
        return MAPPER.readTree(text);
    }

    // --- registration

    @Test
    void duplicateNameFailsNamingBothClasses()
    {
        EngineRegistry registry = EngineRegistry.empty().register(new NamedProvider("same"));

        assertThatThrownBy(() -> registry.register(new OtherNamedProvider("same")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("\"same\"")
                .hasMessageContaining(NamedProvider.class.getName())
                .hasMessageContaining(OtherNamedProvider.class.getName());
        assertThat(registry.providers()).singleElement()
                .satisfies(info -> assertThat(info.className()).isEqualTo(NamedProvider.class.getName()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Process", "1engine", "-engine", "my_engine", "my engine", "engine.x", "énigme"})
    void invalidNamesAreRefused(String name)
    {
        EngineRegistry registry = EngineRegistry.empty();

        assertThatThrownBy(() -> registry.register(new NamedProvider(name)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid engine name")
                .hasMessageContaining(NamedProvider.class.getName());
        assertThat(registry.providers()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "process", "my-engine-2", "x-"})
    void validNamesAreAccepted(String name)
    {
        EngineRegistry registry = EngineRegistry.empty().register(new NamedProvider(name));

        assertThat(registry.provider(name)).isPresent();
    }

    @Test
    void nullProviderOrNameIsRefused()
    {
        EngineRegistry registry = EngineRegistry.empty();

        assertThatThrownBy(() -> registry.register(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> registry.register(new NamedProvider(null))).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> registry.provider(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void providersListsNameVersionAndLocationInRegistrationOrder()
    {
        EngineRegistry registry = EngineRegistry.empty()
                .register(new NamedProvider("zeta"))
                .register(new OtherNamedProvider("alpha"));
        String testClasses = NamedProvider.class.getProtectionDomain().getCodeSource().getLocation().toString();

        List<EngineRegistry.ProviderInfo> infos = registry.providers();

        assertThat(infos).extracting(EngineRegistry.ProviderInfo::name, EngineRegistry.ProviderInfo::version,
                        EngineRegistry.ProviderInfo::location, EngineRegistry.ProviderInfo::className)
                .containsExactly(
                        tuple("zeta", "DEVELOPMENT", testClasses, NamedProvider.class.getName()),
                        tuple("alpha", "2.5", testClasses, OtherNamedProvider.class.getName()));
        assertThat(infos.get(1)).hasToString("alpha (version 2.5, " + testClasses + ")");
        assertThatThrownBy(() -> infos.add(infos.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void providerWithoutCodeSourceHasAnUnknownLocation()
    {
        EngineProvider proxy = (EngineProvider) Proxy.newProxyInstance(EngineProvider.class.getClassLoader(),
                new Class<?>[] {EngineProvider.class}, (self, method, args) -> switch (method.getName()) {
                    case "name" -> "proxied";
                    case "version" -> "0.0.1";
                    default -> throw new UnsupportedOperationException(method.getName());
                });

        EngineRegistry registry = EngineRegistry.empty().register(proxy);

        assertThat(registry.providers()).singleElement()
                .satisfies(info -> assertThat(info.location()).isEqualTo("unknown location"));
    }

    @Test
    void providerLooksUpByName()
    {
        NamedProvider provider = new NamedProvider("process");
        EngineRegistry registry = EngineRegistry.empty().register(provider);

        assertThat(registry.provider("process")).containsSame(provider);
        assertThat(registry.provider("other")).isEmpty();
    }

    // --- config validation and creation

    @Test
    void createEngineListsEveryViolationWithItsPath()
            throws Exception
    {
        NamedProvider provider = new NamedProvider("strict", JsonSchema.parse(STRICT_SCHEMA));
        EngineRegistry registry = EngineRegistry.empty().register(provider);

        assertThatThrownBy(() ->
                registry.createEngine("strict", json("{\"maxConcurrency\": -1, \"extra\": 1}"), engineContext()))
                .isInstanceOfSatisfying(InvalidConfigException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
                    assertThat(e.component()).isEqualTo("engine \"strict\"");
                    assertThat(e.violations())
                            .extracting(Violation::path, Violation::keyword)
                            .containsExactlyInAnyOrder(
                                    tuple("$", "required"),
                                    tuple("$.maxConcurrency", "minimum"),
                                    tuple("$", "additionalProperties"));
                    assertThat(e.violations()).filteredOn(v -> v.keyword().equals("required"))
                            .singleElement().satisfies(v -> assertThat(v.message()).contains("root"));
                    assertThat(e.violations()).filteredOn(v -> v.keyword().equals("additionalProperties"))
                            .singleElement().satisfies(v -> assertThat(v.message()).contains("extra"));
                    assertThat(e.getMessage())
                            .startsWith("invalid config for engine \"strict\":")
                            .contains("\n  $.maxConcurrency: ")
                            .contains("\n  $: required property 'root' not found");
                });
        assertThat(provider.created).hasValue(0);
    }

    @Test
    void createEngineWithAValidConfigPassesACopyAndTheContext()
            throws Exception
    {
        NamedProvider provider = new NamedProvider("strict", JsonSchema.parse(STRICT_SCHEMA));
        EngineRegistry registry = EngineRegistry.empty().register(provider);
        ObjectNode config = (ObjectNode) json("{\"root\": \"/srv\", \"maxConcurrency\": 0}");
        EngineContext context = engineContext();

        Engine engine = registry.createEngine("strict", config, context);

        assertThat(engine).isInstanceOf(StubEngine.class);
        assertThat(provider.created).hasValue(1);
        EngineOptions options = provider.lastOptions.get();
        assertThat(options.context()).isSameAs(context);
        assertThat(options.config()).isEqualTo(config).isNotSameAs(config);
        config.put("root", "/changed");
        assertThat(options.config().get("root").asText()).isEqualTo("/srv");
    }

    @Test
    void createEngineWithAnUnknownNameListsTheAvailableNames()
    {
        EngineRegistry registry = EngineRegistry.empty()
                .register(new NamedProvider("process"))
                .register(new NamedProvider("docker"));

        assertThatThrownBy(() -> registry.createEngine("podman", MAPPER.createObjectNode(), engineContext()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"podman\"")
                .hasMessageContaining("[process, docker]");
        assertThatThrownBy(() -> registry.validateConfig("podman", MAPPER.createObjectNode()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[process, docker]");
    }

    @Test
    void createEngineRefusesANullConfig()
    {
        EngineRegistry registry = EngineRegistry.empty().register(new NamedProvider("process"));

        assertThatThrownBy(() -> registry.createEngine("process", null, engineContext()))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void defaultConfigSchemaAcceptsOnlyAnEmptyObject()
            throws Exception
    {
        EngineRegistry registry = EngineRegistry.empty().register(new NamedProvider("process"));

        assertThat(registry.validateConfig("process", json("{}"))).isEmpty();
        assertThat(registry.validateConfig("process", json("{\"a\": 1}")))
                .extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$", "additionalProperties"));
        assertThat(registry.validateConfig("process", json("[]")))
                .extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$", "type"));
    }

    @Test
    void providerFailureIsPassedOn()
    {
        EngineProvider failing = new NamedProvider("failing")
        {
            @Override
            public Engine createEngine(EngineOptions options)
                    throws EngineException
            {
                throw new FatalInternalErrorException("no daemon");
            }
        };
        EngineRegistry registry = EngineRegistry.empty().register(failing);

        assertThatThrownBy(() -> registry.createEngine("failing", MAPPER.createObjectNode(), engineContext()))
                .isInstanceOf(FatalInternalErrorException.class)
                .hasMessage("no daemon");
    }

    // --- discovery

    @Test
    void loadFindsProvidersListedInMetaInfServices()
            throws Exception
    {
        EngineRegistry registry = EngineRegistry.load();

        assertThat(registry.provider(ServiceLoadedTestProvider.NAME)).hasValueSatisfying(provider ->
                assertThat(provider).isInstanceOf(ServiceLoadedTestProvider.class));
        assertThat(registry.providers()).extracting(EngineRegistry.ProviderInfo::className)
                .contains(ServiceLoadedTestProvider.class.getName());
        assertThat(registry.createEngine(ServiceLoadedTestProvider.NAME, MAPPER.createObjectNode(), engineContext()))
                .isInstanceOf(StubEngine.class);
    }

    @Test
    void loadWithTwoProvidersOfOneNameFailsNamingBoth()
            throws Exception
    {
        try (URLClassLoader loader = loaderWithServices(ShadowingTestProvider.class.getName())) {
            assertThatThrownBy(() -> EngineRegistry.load(loader))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(ServiceLoadedTestProvider.NAME)
                    .hasMessageContaining(ServiceLoadedTestProvider.class.getName())
                    .hasMessageContaining(ShadowingTestProvider.class.getName());
        }
    }

    @Test
    void loadWithAProviderThatCannotBeInstantiatedFails()
            throws Exception
    {
        try (URLClassLoader loader = loaderWithServices("dev.taskyard.engine.NoSuchProvider")) {
            assertThatThrownBy(() -> EngineRegistry.load(loader))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot load engine providers")
                    .hasCauseInstanceOf(java.util.ServiceConfigurationError.class);
        }
    }

    @Test
    void loadWithNoProviderGivesAnEmptyRegistry()
            throws Exception
    {
        try (URLClassLoader loader = new URLClassLoader(new URL[0], null)) {
            assertThat(EngineRegistry.load(loader).providers()).isEmpty();
        }
    }

    /** A class loader over the test class path plus a folder whose service file lists {@code classNames}. */
    private URLClassLoader loaderWithServices(String... classNames)
            throws IOException
    {
        Path services = tempFolder.resolve("extra/META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(EngineProvider.class.getName()), String.join("\n", classNames) + "\n");
        return new URLClassLoader(new URL[] {tempFolder.resolve("extra").toUri().toURL()}, getClass().getClassLoader());
    }
}
