package dev.taskyard.server.internal;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.host.PluginRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code taskyard engines}: the engines and plugins discovered on the class path, with versions and locations. */
@Command(name = "engines", mixinStandardHelpOptions = true,
        description = "Lists the discovered engines and plugins with their versions.")
public final class EnginesCommand
        implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        PrintWriter out = spec.commandLine().getOut();
        for (EngineRegistry.ProviderInfo info : EngineRegistry.load().providers()) {
            out.printf("engine %-10s %-16s %s%n", info.name(), info.version(), info.location());
        }
        PluginRegistry plugins = PluginRegistry.load();
        for (String name : plugins.names()) {
            PluginProvider provider = plugins.provider(name).orElseThrow();
            String version = provider.getClass().getPackage().getImplementationVersion();
            var source = provider.getClass().getProtectionDomain().getCodeSource();
            out.printf("plugin %-10s %-16s %s%n", name, version == null ? "DEVELOPMENT" : version,
                    source == null || source.getLocation() == null ? "unknown location" : source.getLocation());
        }
        out.flush();
        return 0;
    }
}
