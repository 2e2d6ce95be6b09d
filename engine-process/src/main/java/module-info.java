/**
 * The process engine: runs each task as a host process in its own session and fresh work dir. Discovered through
 * {@link dev.taskyard.engine.EngineProvider} as {@code process}; only the provider package is exported.
 */
module dev.taskyard.engine.process {
    requires transitive dev.taskyard.engine; // the exported provider exposes the SPI types
    requires com.sun.jna; // posix_spawn (an automatic module named by JNA's manifest)

    exports dev.taskyard.engine.process;

    provides dev.taskyard.engine.EngineProvider with dev.taskyard.engine.process.ProcessEngineProvider;
}
