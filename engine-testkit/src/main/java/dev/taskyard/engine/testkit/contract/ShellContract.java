package dev.taskyard.engine.testkit.contract;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxTerminatedException;
import dev.taskyard.engine.Shell;
import dev.taskyard.engine.ShellAbortedException;
import dev.taskyard.engine.ShellTerminatedException;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import dev.taskyard.engine.testkit.ShellScript;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Shells: exact output, bad command, abort, sandbox kill aborts shells, shell after termination. */
public interface ShellContract
        extends ContractCase
{
    private Sandbox runningSandbox()
            throws Exception
    {
        KitRun run = newRun(payloads().sleep(Duration.ofSeconds(60)));
        return run.start();
    }

    private static CompletableFuture<String> drain(InputStream in)
    {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            catch (Exception e) {
                return "<read failed: " + e + ">";
            }
        });
    }

    private static void write(Shell shell, String input)
            throws Exception
    {
        try (OutputStream stdin = shell.stdin()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    default void shellCommand()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_SHELLS)) {
            Sandbox sandbox = runningSandbox();
            expectError(ContractRule.FEATURE_DECLARATION, FeatureNotSupportedException.class,
                    "newShell on an engine declared without shells", () -> sandbox.newShell(List.of(), false));
            return;
        }
        ShellScript script = payloads().shellScript();
        Shell shell = within("newShell", () -> runningSandbox().newShell(List.of(), false));
        CompletableFuture<String> stdout = drain(shell.stdout());
        CompletableFuture<String> stderr = drain(shell.stderr());
        write(shell, script.command());
        boolean success = within("shell waitFor", shell::waitFor);
        check(success, ContractRule.SHELLS, "the shell command did not succeed");
        String out = await("the shell's stdout", stdout);
        String err = await("the shell's stderr", stderr);
        check(out.equals(script.stdout()), ContractRule.SHELLS, "stdout was \"" + out + "\", expected \""
                + script.stdout() + "\"");
        check(err.equals(script.stderr()), ContractRule.SHELLS, "stderr was \"" + err + "\", expected \""
                + script.stderr() + "\"");
        expectError(ContractRule.SHELLS, ShellTerminatedException.class, "shell abort after it ended", shell::abort);
    }

    @Test
    default void shellBadCommand()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_SHELLS)) {
            return;
        }
        Shell shell = within("newShell", () -> runningSandbox().newShell(List.of(), false));
        CompletableFuture<String> stdout = drain(shell.stdout());
        CompletableFuture<String> stderr = drain(shell.stderr());
        write(shell, payloads().shellScript().badCommand());
        boolean success = within("shell waitFor", shell::waitFor);
        check(!success, ContractRule.SHELLS, "the bad command succeeded");
        await("the shell's stdout", stdout);
        await("the shell's stderr", stderr);
    }

    @Test
    default void shellAbort()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_SHELLS)) {
            return;
        }
        Shell shell = within("newShell", () -> runningSandbox().newShell(List.of(), false));
        CompletableFuture<String> stdout = drain(shell.stdout());
        CompletableFuture<String> stderr = drain(shell.stderr());
        write(shell, payloads().shellScript().sleepCommand());
        expectSuccess(ContractRule.SHELLS, "abort of a busy shell", shell::abort);
        expectError(ContractRule.SHELLS, ShellAbortedException.class, "waitFor after abort", shell::waitFor);
        await("the shell's stdout", stdout);
        await("the shell's stderr", stderr);
    }

    @Test
    default void sandboxKillAbortsShells()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_SHELLS)) {
            return;
        }
        Sandbox sandbox = runningSandbox();
        Shell shell = within("newShell", () -> sandbox.newShell(List.of(), false));
        CompletableFuture<String> stdout = drain(shell.stdout());
        CompletableFuture<String> stderr = drain(shell.stderr());
        write(shell, payloads().shellScript().sleepCommand());
        expectSuccess(ContractRule.KILL_YIELDS_FAILED_RESULT, "kill of a sandbox with a shell", sandbox::kill);
        expectError(ContractRule.KILL_ABORTS_SHELLS, ShellAbortedException.class,
                "shell waitFor after the sandbox was killed", shell::waitFor);
        try {
            await("the shell's stdout", stdout);
            await("the shell's stderr", stderr);
        }
        catch (java.util.concurrent.TimeoutException e) {
            throw KitAssertions.violation(ContractRule.KILL_ABORTS_SHELLS,
                    "the shell's output streams did not end after the sandbox was killed");
        }
    }

    @Test
    default void newShellAfterTermination()
            throws Exception
    {
        KitRun run = newRun(payloads().silent());
        within("a silent run", run::run);
        Class<? extends Exception> expected = supports(EngineBehavior.SUPPORTS_SHELLS)
                ? SandboxTerminatedException.class : FeatureNotSupportedException.class;
        expectError(ContractRule.SHELL_AFTER_TERMINATION, expected, "newShell after termination",
                () -> run.sandbox().newShell(List.of(), false));
    }
}
