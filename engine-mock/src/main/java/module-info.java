/**
 * The scripted reference engine {@code mock}: implements every optional feature of the engine contract in memory.
 * Discovered through {@link dev.taskyard.engine.EngineProvider} as {@code mock}. It holds no test library: the
 * distribution ships it for demos and benchmarks.
 */
module dev.taskyard.engine.mock {
    requires transitive dev.taskyard.engine; // the exported engine exposes the SPI types

    exports dev.taskyard.engine.mock;

    provides dev.taskyard.engine.EngineProvider with dev.taskyard.engine.mock.MockEngineProvider;
}
