/**
 * The Docker engine: runs each task in a container on a Docker daemon through the Engine API. Discovered through
 * {@link dev.taskyard.engine.EngineProvider} as {@code docker}; only the provider package (with the label names) is
 * exported.
 */
module dev.taskyard.engine.docker {
    requires transitive dev.taskyard.engine; // the exported provider exposes the SPI types
    requires com.github.dockerjava.api;
    requires com.github.dockerjava.core;
    requires com.github.dockerjava.transport.httpclient5;
    requires org.apache.commons.compress;

    exports dev.taskyard.engine.docker;

    provides dev.taskyard.engine.EngineProvider with dev.taskyard.engine.docker.DockerEngineProvider;
}
