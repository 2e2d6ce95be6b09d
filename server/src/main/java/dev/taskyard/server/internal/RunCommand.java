package dev.taskyard.server.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Termination;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.server.Main;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code taskyard run -- CMD…}: runs one task locally on an engine (the process engine by default), streams its log
 * to standard output as it is written, and exits with the task's exit code ({@code 128+n} for signal {@code n},
 * {@code 124} when the timeout killed it, {@code 125} when taskyard itself failed).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs one task locally and streams its log; exits with the task's exit code.")
public final class RunCommand
        implements Callable<Integer>
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final int TIMED_OUT = 124;

    @Spec
    CommandSpec spec;

    @Option(names = "--engine", defaultValue = "process", description = "Engine to run on (default: ${DEFAULT-VALUE}).")
    String engineName;

    @Option(names = "--engine-config", description = "Engine config as JSON (default: {}).", defaultValue = "{}")
    String engineConfig;

    @Mixin
    PayloadOptions payload;

    @Option(names = {"-e", "--env"}, description = "Environment variable NAME=VALUE for the task (repeatable).")
    Map<String, String> environment = Map.of();

    @Option(names = "--timeout", description = "Seconds after which the task is killed.")
    Long timeoutSeconds;

    @Override
    public Integer call()
            throws Exception
    {
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode taskPayload = payload.payload("run");
        Path temp = Files.createTempDirectory("taskyard-run-");
        try {
            return run(taskPayload, temp, err);
        }
        finally {
            deleteRecursively(temp);
        }
    }

    private int run(ObjectNode taskPayload, Path temp, PrintWriter err)
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        EngineContext engineContext = new EngineContext(temp, LoggerFactory.getLogger("taskyard.engine." + engineName),
                new WorkerIdentity("local", "cli-" + ProcessHandle.current().pid()), tracker);
        Engine engine;
        try {
            engine = EngineRegistry.load().createEngine(engineName, MAPPER.readTree(engineConfig), engineContext);
        }
        catch (IllegalArgumentException e) {
            err.println("taskyard: " + e.getMessage());
            return Main.TASKYARD_FAILED;
        }
        try {
            List<Violation> violations = engine.payloadSchema().validate(taskPayload);
            if (!violations.isEmpty()) {
                violations.forEach(v -> err.println("taskyard: invalid payload: " + v));
                return Main.TASKYARD_FAILED;
            }
            return runTask(engine, taskPayload, temp, err);
        }
        finally {
            engine.dispose();
        }
    }

    private int runTask(Engine engine, ObjectNode taskPayload, Path temp, PrintWriter err)
            throws Exception
    {
        TaskContext.Builder contextBuilder =
                TaskContext.builder().taskId(UUID.randomUUID().toString()).logSpillFolder(temp);
        if (timeoutSeconds != null) {
            contextBuilder.deadlineIn(Duration.ofSeconds(timeoutSeconds));
        }
        TaskContext context = contextBuilder.build();
        Thread follower = new Thread(() -> follow(context), "taskyard-log-follower");
        follower.start();
        Thread onInterrupt = new Thread(() -> context.cancel("interrupted"), "taskyard-cancel");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        ResultSet result = null;
        try {
            SandboxBuilder builder = engine.newSandboxBuilder(new SandboxOptions(taskPayload, context));
            try {
                for (Map.Entry<String, String> variable : environment.entrySet()) {
                    builder.setEnvironmentVariable(variable.getKey(), variable.getValue());
                }
            }
            catch (EngineException e) {
                builder.discard();
                throw e;
            }
            result = builder.startSandbox().waitForResult();
            context.log().close();
            follower.join();
            Termination termination = result.termination();
            if (termination.timedOut()) {
                err.println("taskyard: the task ran past its timeout of " + timeoutSeconds + " s and was killed");
                return TIMED_OUT;
            }
            if (termination.exitCode().isPresent()) {
                return termination.exitCode().getAsInt();
            }
            return 128 + termination.signal().orElse(9);
        }
        catch (MalformedPayloadException e) {
            e.messages().forEach(m -> err.println("taskyard: malformed payload: " + m));
            return Main.TASKYARD_FAILED;
        }
        finally {
            context.log().close();
            follower.join();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            }
            catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
            if (result != null) {
                result.dispose();
            }
            context.dispose();
        }
    }

    private void follow(TaskContext context)
    {
        PrintWriter out = spec.commandLine().getOut();
        byte[] buffer = new byte[8192];
        try (InputStream in = context.log().newReader()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                System.out.write(buffer, 0, n);
                System.out.flush();
            }
        }
        catch (IOException e) {
            out.flush();
        }
    }

    static void deleteRecursively(Path folder)
    {
        try {
            MoreFiles.deleteRecursively(folder);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + folder, e);
        }
    }
}
