/**
 * The taskyard engine SPI. Engines are discovered with {@link java.util.ServiceLoader} through
 * {@link dev.taskyard.engine.EngineRegistry}.
 */
module dev.taskyard.engine {
    requires transitive com.fasterxml.jackson.databind;
    requires transitive org.slf4j;
    requires com.networknt.schema;

    exports dev.taskyard.engine;
    exports dev.taskyard.engine.schema;
    exports dev.taskyard.engine.support;

    uses dev.taskyard.engine.EngineProvider;
}
