/**
 * The remote engine: runs each task on another taskyard server over the task API, through the client. Discovered
 * through {@link dev.taskyard.engine.EngineProvider} as {@code remote}; only the provider package is exported.
 */
module dev.taskyard.engine.remote {
    requires transitive dev.taskyard.engine; // the exported provider exposes the SPI types
    requires dev.taskyard.client;

    exports dev.taskyard.engine.remote;

    opens dev.taskyard.engine.remote to dev.taskyard.engine; // JsonSchema.fromResource reads the schemas

    provides dev.taskyard.engine.EngineProvider with dev.taskyard.engine.remote.RemoteEngineProvider;
}
