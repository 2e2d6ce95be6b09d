package dev.taskyard.server;

import dev.taskyard.server.internal.ClientCommands;
import dev.taskyard.server.internal.EnginesCommand;
import dev.taskyard.server.internal.RunCommand;
import dev.taskyard.server.internal.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code taskyard} command line. Errors are one line on standard error and a non-zero exit code: {@code 2} for
 * usage errors, {@code 125} when taskyard itself fails; {@code run} otherwise exits with the task's exit code.
 */
@Command(name = "taskyard",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Runs untrusted tasks in sandboxes.",
        subcommands = {RunCommand.class, ServeCommand.class, ClientCommands.Submit.class, ClientCommands.Status.class,
                ClientCommands.Cancel.class, ClientCommands.Logs.class, ClientCommands.Schema.class,
                EnginesCommand.class, CommandLine.HelpCommand.class})
public final class Main
{
    /** Exit code when taskyard itself fails (as opposed to the task). */
    public static final int TASKYARD_FAILED = 125;

    public static void main(String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests. */
    public static CommandLine commandLine()
    {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((error, line, parsed) -> {
            line.getErr().println("taskyard: " + (error.getMessage() == null ? error.toString() : error.getMessage()));
            return TASKYARD_FAILED;
        });
        return commandLine;
    }

    /** The version of the distribution, from the jar manifest. */
    public static final class Version
            implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"taskyard " + (version == null ? "DEVELOPMENT" : version)};
        }
    }
}
