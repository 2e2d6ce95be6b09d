package dev.taskyard.server.internal;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import dev.taskyard.engine.EngineRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code taskyard engines}: the engines discovered on the class path, with versions and locations. */
@Command(name = "engines", mixinStandardHelpOptions = true, description = "Lists the discovered engines with their versions.")
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
        out.flush();
        return 0;
    }
}
