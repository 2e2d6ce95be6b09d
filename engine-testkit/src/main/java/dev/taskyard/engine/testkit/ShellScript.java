package dev.taskyard.engine.testkit;

import static java.util.Objects.requireNonNull;

/**
 * What the shell cases write to the engine's default shell (stdin, then closed) and expect back.
 *
 * @param command input that makes the shell print exactly {@code stdout} and {@code stderr} and exit successfully
 * @param stdout the exact expected standard output of {@code command}
 * @param stderr the exact expected standard error of {@code command}
 * @param badCommand input that makes the shell exit unsuccessfully
 * @param sleepCommand input that keeps the shell busy for at least 30 seconds
 */
public record ShellScript(String command, String stdout, String stderr, String badCommand, String sleepCommand)
{
    public ShellScript
    {
        requireNonNull(command, "command is null");
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        requireNonNull(badCommand, "badCommand is null");
        requireNonNull(sleepCommand, "sleepCommand is null");
    }
}
