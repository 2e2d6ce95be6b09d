/**
 * The Java client of the taskyard task API: {@link dev.taskyard.client.TaskyardClient}, its retry policy and typed
 * problem exceptions. {@code dev.taskyard.client.internal} (chain, transport, JSON) is not API and not exported.
 */
module dev.taskyard.client {
    requires transitive com.fasterxml.jackson.databind; // tasks carry JSON results and payloads
    requires java.net.http;
    requires org.slf4j;

    exports dev.taskyard.client;
}
