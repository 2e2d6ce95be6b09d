/**
 * The benchmarks: each prints a ratio against a baseline measured in the same run (see {@code bench/run}). They
 * compile against the engine SPI, the worker and the client only; the engines are found by name at run time.
 */
module dev.taskyard.bench {
    requires dev.taskyard.worker;
    requires dev.taskyard.client;
    requires java.net.http;
    requires com.google.common;
    requires org.apache.commons.compress;
    requires org.slf4j;

    exports dev.taskyard.bench;
}
