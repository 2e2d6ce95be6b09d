/**
 * The benchmarks: each prints a ratio against a baseline measured in the same run (see {@code bench/run}). They
 * compile against the engine SPI, the plugins' host, the worker, the stores and the client only; the engines are found
 * by name at run time. Nothing is exported: the benchmarks are programs, not a library.
 */
module dev.taskyard.bench {
    requires dev.taskyard.worker;
    requires dev.taskyard.store.postgres;
    requires dev.taskyard.client;
    requires java.net.http;
    requires java.sql;
    requires com.google.common;
    requires org.apache.commons.compress;
    requires org.slf4j;
}
