/**
 * The taskyard plugins: the plugin SPI ({@code dev.taskyard.plugin}: what plugin authors implement and use), the
 * host's discovery entry point ({@code dev.taskyard.plugin.host.PluginRegistry}), the built-in plugins
 * ({@code dev.taskyard.plugin.builtin}, discovered through {@link dev.taskyard.plugin.PluginProvider}) and the plugin
 * test harness ({@code dev.taskyard.plugin.testing}). {@code dev.taskyard.plugin.internal} (the plugin manager, the
 * hook executor, stage errors, incidents) is not API: it is exported to the worker only, which runs the hooks. The
 * built-in package is opened to the engine API only, which reads the plugins' JSON Schemas from it.
 */
module dev.taskyard.plugin {
    requires transitive dev.taskyard.engine; // the SPI exposes engine types, Jackson and SLF4J

    exports dev.taskyard.plugin;
    exports dev.taskyard.plugin.host;
    exports dev.taskyard.plugin.internal to dev.taskyard.worker;
    exports dev.taskyard.plugin.builtin;
    exports dev.taskyard.plugin.testing;

    opens dev.taskyard.plugin.builtin to dev.taskyard.engine;

    uses dev.taskyard.plugin.PluginProvider;

    provides dev.taskyard.plugin.PluginProvider with
            dev.taskyard.plugin.builtin.EnvPluginProvider,
            dev.taskyard.plugin.builtin.SuccessPluginProvider,
            dev.taskyard.plugin.builtin.MaxRunTimePluginProvider,
            dev.taskyard.plugin.builtin.ArtifactsPluginProvider,
            dev.taskyard.plugin.builtin.LogPrefixPluginProvider,
            dev.taskyard.plugin.builtin.WatchdogPluginProvider,
            dev.taskyard.plugin.builtin.ResultPluginProvider,
            dev.taskyard.plugin.builtin.ProgressPluginProvider,
            dev.taskyard.plugin.builtin.TaskLogPluginProvider,
            dev.taskyard.plugin.builtin.SecretsPluginProvider;
}
