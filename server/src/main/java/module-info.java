/**
 * The taskyard command line, REST API server and web console ({@link dev.taskyard.server.Main}). Everything but the
 * entry point is {@code dev.taskyard.server.internal} and not exported. The distribution is a shaded jar that runs on
 * the class path (it drops every module descriptor); this descriptor states and checks what the server depends on.
 * The engines are runtime dependencies found through {@link dev.taskyard.engine.EngineProvider}, so none is required
 * here. The command classes are opened to picocli, which injects their options reflectively; the schema folder is
 * opened to the engine API, which reads the config sections' JSON Schemas.
 */
module dev.taskyard.server {
    requires dev.taskyard.worker;
    requires dev.taskyard.client; // the client commands talk to a server through it
    requires dev.taskyard.store;
    requires dev.taskyard.store.postgres;
    requires com.fasterxml.jackson.dataformat.yaml; // config files
    requires com.google.common;
    requires transitive info.picocli; // Main.commandLine() hands out picocli's CommandLine
    requires java.net.http;
    requires micrometer.core;
    requires micrometer.registry.prometheus;
    requires org.eclipse.jetty.server;
    requires jdk.unsupported; // sun.misc.Signal: serve drains on SIGTERM

    exports dev.taskyard.server;

    opens dev.taskyard.server to info.picocli;
    opens dev.taskyard.server.internal to info.picocli, dev.taskyard.engine;
}
