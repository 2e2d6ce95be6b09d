/**
 * The taskyard worker ({@code dev.taskyard.worker}): config, the task-run state machine, the task queue SPI and the
 * claim loop. It runs plugin hooks through the plugins' {@code dev.taskyard.plugin.internal}, which that module
 * exports to this one only. The worker package is opened to the engine API only, which reads the worker config's
 * JSON Schema from it.
 */
module dev.taskyard.worker {
    requires transitive dev.taskyard.plugin; // the worker's API exposes plugin and engine types
    requires com.fasterxml.jackson.dataformat.yaml;

    exports dev.taskyard.worker;

    opens dev.taskyard.worker to dev.taskyard.engine;
}
