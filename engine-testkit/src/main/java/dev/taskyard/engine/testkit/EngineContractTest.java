package dev.taskyard.engine.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.io.MoreFiles;
import dev.taskyard.engine.Display;
import dev.taskyard.engine.Engine;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.engine.schema.Violation;
import dev.taskyard.engine.testkit.contract.ArtifactContract;
import dev.taskyard.engine.testkit.contract.BuilderContract;
import dev.taskyard.engine.testkit.contract.CancellationContract;
import dev.taskyard.engine.testkit.contract.DisplayContract;
import dev.taskyard.engine.testkit.contract.EnvironmentContract;
import dev.taskyard.engine.testkit.contract.KitAssertions;
import dev.taskyard.engine.testkit.contract.LoggingContract;
import dev.taskyard.engine.testkit.contract.ProxyContract;
import dev.taskyard.engine.testkit.contract.ConcurrencyContract;
import dev.taskyard.engine.testkit.contract.DisposalContract;
import dev.taskyard.engine.testkit.contract.ProbeContract;
import dev.taskyard.engine.testkit.contract.ResolutionContract;
import dev.taskyard.engine.testkit.contract.RecoveryContract;
import dev.taskyard.engine.testkit.contract.ResolutionPropertyContract;
import dev.taskyard.engine.testkit.contract.ShellContract;
import dev.taskyard.engine.testkit.contract.VolumeContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The engine contract kit. An engine author extends this class once:
 * <pre>{@code
 * class ProcessEngineContractTest extends EngineContractTest {
 *     protected String engineName() { return "process"; }
 *     protected String targetPayload(String target) { return "{\"command\":[\"echo\",\"" + target + "\"]}"; }
 *     …
 *     protected boolean hasBehavior(EngineBehavior behavior) {
 *         return switch (behavior) {
 *             case SUPPORTS_DISPLAYS, SUPPORTS_PROXIES -> false;
 *             default -> super.hasBehavior(behavior);
 *         };
 *     }
 * }
 * }</pre>
 * The kit loads the engine through {@link java.util.ServiceLoader} as production does, validates the config and
 * every payload against the declared schemas, creates a fresh engine per test and disposes it afterwards, checking
 * that its resource tracker is empty and {@link #assertNoLeftovers()} holds.
 *
 * <p>The cases live in the contract interfaces this class implements, one per area; every failure names the
 * {@link ContractRule} broken. Behaviours declared unsupported are verified negatively, never skipped.
 */
@Timeout(120)
public abstract class EngineContractTest
        implements LoggingContract, EnvironmentContract, ArtifactContract, VolumeContract, ProxyContract, ShellContract,
        DisplayContract, ResolutionContract, BuilderContract, CancellationContract,
                ResolutionPropertyContract, DisposalContract,
        ProbeContract, ConcurrencyContract, RecoveryContract
{
    /** The name of the link to a file outside the sandbox that {@link #symbolicLinksPayload} makes. */
    public static final String LINK_TO_FILE = "kit-link-to-file";

    /** The name of the link to a folder outside the sandbox that {@link #symbolicLinksPayload} makes. */
    public static final String LINK_TO_FOLDER = "kit-link-to-folder";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final List<KitRun> runs = new CopyOnWriteArrayList<>();
    private final List<Engine> extraEngines = new CopyOnWriteArrayList<>();
    private Path workFolder;
    private Path engineFolder;
    private ResourceTracker tracker;
    private Engine engine;

    // ---------------------------------------------------------------- what the engine author supplies

    /** The name the engine's provider registers with {@link java.util.ServiceLoader}. */
    protected abstract String engineName();

    /** The engine config, as JSON; validated against the provider's schema. Defaults to {@code {}}. */
    protected String engineConfig()
    {
        return "{}";
    }

    /** An engine config like {@link #engineConfig()} but with at most {@code max} concurrent sandboxes. */
    protected abstract String engineConfigWithMaxConcurrency(int max);

    /**
     * Whether the engine has the behaviour; all are expected by default but {@link EngineBehavior#SUPPORTS_RECOVERY},
     * which an engine declares explicitly. Override with a switch.
     */
    protected boolean hasBehavior(EngineBehavior behavior)
    {
        return behavior != EngineBehavior.SUPPORTS_RECOVERY;
    }

    /** A payload that prints {@code target} and exits successfully. */
    protected abstract String targetPayload(String target);

    /** A payload that prints {@code target} and exits unsuccessfully. */
    protected abstract String failingTargetPayload(String target);

    /** A payload that exits successfully and prints nothing. */
    protected abstract String silentPayload();

    /** A payload that sleeps for {@code duration}, then exits successfully. */
    protected abstract String sleepPayload(Duration duration);

    /** A payload that prints {@code target}, then sleeps for {@code duration} and exits successfully. */
    protected abstract String targetThenSleepPayload(String target, Duration duration);

    /** A payload that prints {@code text} with no trailing newline and exits at once, successfully. */
    protected abstract String lastLineWithoutNewlinePayload(String text);

    /** A payload the schema accepts but {@code newSandboxBuilder} must refuse with malformed-payload. */
    protected abstract String malformedPayload();

    /**
     * A payload that prints {@code first} and a newline at once, sleeps for {@code duration}, prints {@code second}
     * and a newline, and exits successfully. Needed with {@link EngineBehavior#SUPPORTS_RECOVERY}.
     */
    protected String recoveryPayload(String first, Duration duration, String second)
    {
        throw notProvided("recoveryPayload", EngineBehavior.SUPPORTS_RECOVERY);
    }

    /** A payload that exits with {@code code} (one of {@link #exitCodes()}) and prints nothing. */
    protected String exitPayload(int code)
    {
        throw new IllegalStateException("exitPayload() is not provided: override it (every engine reports exit codes)");
    }

    /** The exit codes the kit tries with {@link #exitPayload(int)}; all of these by default. */
    protected List<Integer> exitCodes()
    {
        return List.of(0, 1, 2, 3, 42, 127, 128, 255);
    }

    /**
     * A config the provider's schema must refuse, and the JSON path of a violation it must report. Defaults to
     * {@link #engineConfigWithMaxConcurrency} with the limit as a string: {@code $.maxConcurrency}.
     */
    protected InvalidConfig invalidEngineConfig()
    {
        try {
            ObjectNode config = (ObjectNode) MAPPER.readTree(engineConfigWithMaxConcurrency(1));
            config.put("maxConcurrency", "one");
            return new InvalidConfig(config.toString(), "$.maxConcurrency");
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A config the schema must refuse and where: {@code path} is a JSONPath such as {@code $.maxConcurrency}. */
    public record InvalidConfig(String config, String path) {}

    /**
     * A payload that creates, in {@code artifactLayout().nestedFolder()}, a symbolic link {@link #LINK_TO_FILE} to
     * the host file {@code file} and a link {@link #LINK_TO_FOLDER} to the host folder {@code folder}, and exits
     * successfully; empty if the engine's tasks cannot make symbolic links (the in-memory mock).
     */
    protected Optional<String> symbolicLinksPayload(String file, String folder)
    {
        if (hasBehavior(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            throw notProvided("symbolicLinksPayload", EngineBehavior.SUPPORTS_ARTIFACTS);
        }
        return Optional.empty();
    }

    /** A payload that prints the value of the environment variable {@code name} and exits successfully. */
    protected String printEnvironmentVariablePayload(String name)
    {
        throw notProvided("printEnvironmentVariablePayload", EngineBehavior.SUPPORTS_ENVIRONMENT_VARIABLES);
    }

    /** Names the engine must refuse with malformed-payload. */
    protected List<String> invalidEnvironmentVariableNames()
    {
        return List.of("#=#", "", "with space", "1LEADING_DIGIT", "A=B");
    }

    /** A valid environment variable name. */
    protected String environmentVariableName()
    {
        return "TASKYARD_KIT_VARIABLE";
    }

    /** A payload that writes the files described by {@link #artifactLayout()} and exits successfully. */
    protected String writeFilesPayload()
    {
        throw notProvided("writeFilesPayload", EngineBehavior.SUPPORTS_ARTIFACTS);
    }

    protected ArtifactLayout artifactLayout()
    {
        throw notProvided("artifactLayout", EngineBehavior.SUPPORTS_ARTIFACTS);
    }

    /** A valid mount point for volumes. */
    protected String volumeMountPoint()
    {
        throw notProvided("volumeMountPoint", EngineBehavior.SUPPORTS_VOLUMES);
    }

    /** A payload that writes something under {@code mountPoint}; its success is not checked. */
    protected String writeVolumePayload(String mountPoint)
    {
        throw notProvided("writeVolumePayload", EngineBehavior.SUPPORTS_VOLUMES);
    }

    /** A payload that succeeds only if what {@link #writeVolumePayload} writes is under {@code mountPoint}. */
    protected String checkVolumePayload(String mountPoint)
    {
        throw notProvided("checkVolumePayload", EngineBehavior.SUPPORTS_VOLUMES);
    }

    /** A proxy name the engine accepts; every engine must accept {@code [a-z]{3,22}}. */
    protected String proxyName()
    {
        return "pingservice";
    }

    /**
     * A payload that prints {@code Pinging}, sends {@code GET /v1/ping} to the proxy {@code proxyName}, prints the
     * answer's body and exits successfully on 200, unsuccessfully otherwise.
     */
    protected String pingProxyPayload(String proxyName)
    {
        throw notProvided("pingProxyPayload", EngineBehavior.SUPPORTS_PROXIES);
    }

    protected ShellScript shellScript()
    {
        throw notProvided("shellScript", EngineBehavior.SUPPORTS_SHELLS);
    }

    /** The displays a running {@link #sleepPayload} sandbox has; width, height and description 0/"" are not checked. */
    protected List<Display> expectedDisplays()
    {
        throw notProvided("expectedDisplays", EngineBehavior.SUPPORTS_DISPLAYS);
    }

    protected String invalidDisplayName()
    {
        return "no-such-display";
    }

    /** Checks that nothing of the engine survives (e.g. host processes); called after the engine is disposed. */
    protected void assertNoLeftovers()
            throws Exception
    {}

    /**
     * How long one contract call (or one wait of a case for something the engine promised: a log line, a closed
     * display) may take before the kit fails the case with {@code [no-hang]} or the rule the wait belongs to. The
     * thread of a timed-out call is interrupted and the case moves on to its cleanup, which runs under the same
     * timeout. Defaults to {@link KitAssertions#CALL_TIMEOUT} (30 s); raise it for an engine whose calls are slow
     * by nature (a remote daemon), never lower it below what a loaded CI machine needs.
     */
    protected Duration callTimeout()
    {
        return KitAssertions.CALL_TIMEOUT;
    }

    /** How many random schedules the resolution property test runs; at least 200 in a normal build. */
    protected int resolutionSchedules()
    {
        return 200;
    }

    // ---------------------------------------------------------------- life-cycle

    @BeforeEach
    final void createEngine()
            throws Exception
    {
        workFolder = Files.createTempDirectory("taskyard-kit-");
        tracker = new ResourceTracker();
        engine = newEngine(engineConfig(), tracker);
    }

    @AfterEach
    final void disposeEngine()
            throws Exception
    {
        try {
            disposeAndCheck();
        }
        finally {
            deleteRecursively(workFolder);
        }
    }

    private void disposeAndCheck()
            throws Exception
    {
        List<Throwable> failures = new ArrayList<>();
        for (KitRun run : runs) {
            try {
                run.dispose();
            }
            catch (Throwable t) {
                failures.add(t);
            }
        }
        runs.clear();
        for (Engine other : extraEngines) {
            KitAssertions.within("dispose of an engine", callTimeout(), () -> {
                other.dispose();
                return null;
            });
        }
        extraEngines.clear();
        if (engine != null) {
            KitAssertions.within("dispose of the engine", callTimeout(), () -> {
                engine.dispose();
                return null;
            });
            Object refused = KitAssertions.within("newSandboxBuilder on a disposed engine", callTimeout(), () -> {
                try {
                    return new KitRun(engine, payloadNode(engine, silentPayload()), newContext(b -> {}), callTimeout());
                }
                catch (EngineException | RuntimeException e) {
                    return e;
                }
            });
            if (refused instanceof KitRun run) {
                run.dispose();
            }
            if (!(refused instanceof IllegalStateException)) {
                fail(ContractRule.ENGINE_AFTER_DISPOSE.violation(
                        "newSandboxBuilder on the disposed engine gave " + refused));
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("cleaning up a run failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
        if (!tracker.isEmpty()) {
            fail(ContractRule.NO_LEAK.violation("resources left after dispose: " + tracker.live()));
        }
        assertNoLeftovers();
    }

    // ---------------------------------------------------------------- helpers for the contract cases

    /** The engine under test. */
    public final Engine engine()
    {
        return engine;
    }

    /** The kit's work folder of the current case: outside every sandbox. */
    public final Path workFolder()
    {
        return workFolder;
    }

    /** The resource tracker of {@link #engine()}. */
    public final ResourceTracker tracker()
    {
        return tracker;
    }

    /** Exposes {@link #hasBehavior} to the contract interfaces. */
    public final boolean supports(EngineBehavior behavior)
    {
        return hasBehavior(behavior);
    }

    /** Creates an engine of the same provider with another config; the kit disposes it after the test. */
    public final Engine newEngine(String config, ResourceTracker engineTracker)
            throws EngineException
    {
        return newEngine(config, engineTracker, workFolder.resolve("engine-" + System.nanoTime()));
    }

    /**
     * A fresh engine of the same provider and config as {@link #engine()}, with the same folder in its context: the
     * engine a worker creates when it starts again after its process ended. The kit disposes it after the test.
     */
    public final Engine newRecoveringEngine(ResourceTracker engineTracker)
            throws EngineException
    {
        return newEngine(engineConfig(), engineTracker, engineFolder);
    }

    private Engine newEngine(String config, ResourceTracker engineTracker, Path folder)
            throws EngineException
    {
        EngineRegistry registry = EngineRegistry.load(Thread.currentThread().getContextClassLoader());
        JsonNode configNode = parse(config, "engine config");
        List<Violation> violations = registry.validateConfig(engineName(), configNode);
        if (!violations.isEmpty()) {
            fail("the kit's engine config does not match the engine's config schema: " + violations);
        }
        try {
            Files.createDirectories(folder);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EngineContext context = new EngineContext(folder, LoggerFactory.getLogger("taskyard.kit." + engineName()),
                new WorkerIdentity("kit", "kit-worker"), engineTracker);
        Engine created = registry.createEngine(engineName(), configNode, context);
        if (engine != null) {
            extraEngines.add(created);
        }
        else {
            engineFolder = folder;
        }
        return created;
    }

    /** A new task context with a log spilling into the kit's work folder. */
    public final TaskContext newContext(Consumer<TaskContext.Builder> customizer)
    {
        TaskContext.Builder builder = TaskContext.builder().logSpillFolder(workFolder);
        customizer.accept(builder);
        return builder.build();
    }

    /** Validates {@code payload} against the engine's schema and creates a builder for it; disposed after the test. */
    public final KitRun newRun(String payload)
            throws EngineException
    {
        return newRun(engine, payload, newContext(b -> {}));
    }

    /** Like {@link #newRun(String)} with a given engine and context. */
    public final KitRun newRun(Engine target, String payload, TaskContext context)
            throws EngineException
    {
        ObjectNode node = payloadNode(target, payload);
        try {
            KitRun run = new KitRun(target, node, context, callTimeout());
            runs.add(run);
            return run;
        }
        catch (EngineException | RuntimeException e) {
            context.dispose();
            throw e;
        }
    }

    /** Parses and validates a payload against the engine's payload schema. */
    public final ObjectNode payloadNode(Engine target, String payload)
    {
        JsonNode node = parse(payload, "payload");
        if (!(node instanceof ObjectNode object)) {
            throw new AssertionError("the kit's payload is not a JSON object: " + payload);
        }
        List<Violation> violations = target.payloadSchema().validate(object);
        if (!violations.isEmpty()) {
            fail("the kit's payload does not match the engine's payload schema: " + violations + " in " + payload);
        }
        return object;
    }

    /** Exposes the supplied payloads to the contract interfaces. */
    public final Payloads payloads()
    {
        return new Payloads(this);
    }

    private static JsonNode parse(String json, String what)
    {
        try {
            return MAPPER.readTree(json);
        }
        catch (IOException e) {
            throw new AssertionError("the kit's " + what + " is not valid JSON: " + json, e);
        }
    }

    /** The error for a payload method an engine test did not provide although it declares the behaviour. */
    protected static IllegalStateException notProvided(String method, EngineBehavior behavior)
    {
        return new IllegalStateException(method + "() is not provided: override it, or declare "
                + behavior + " unsupported");
    }

    private static void deleteRecursively(Path folder)
            throws IOException
    {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        MoreFiles.deleteRecursively(folder);
    }

    /** The author's payloads, as seen by the contract cases. */
    public static final class Payloads
    {
        private final EngineContractTest test;

        private Payloads(EngineContractTest test)
        {
            this.test = test;
        }

        public String target(String target)
        {
            return test.targetPayload(target);
        }

        public String failingTarget(String target)
        {
            return test.failingTargetPayload(target);
        }

        public String silent()
        {
            return test.silentPayload();
        }

        public String sleep(Duration duration)
        {
            return test.sleepPayload(duration);
        }

        public String targetThenSleep(String target, Duration duration)
        {
            return test.targetThenSleepPayload(target, duration);
        }

        public String recovery(String first, Duration duration, String second)
        {
            return test.recoveryPayload(first, duration, second);
        }

        public String lastLineWithoutNewline(String text)
        {
            return test.lastLineWithoutNewlinePayload(text);
        }

        public String config()
        {
            return test.engineConfig();
        }

        public String engineName()
        {
            return test.engineName();
        }

        public String exit(int code)
        {
            return test.exitPayload(code);
        }

        public List<Integer> exitCodes()
        {
            return test.exitCodes();
        }

        public InvalidConfig invalidConfig()
        {
            return test.invalidEngineConfig();
        }

        public Optional<String> symlinks(String file, String folder)
        {
            return test.symbolicLinksPayload(file, folder);
        }

        public String malformed()
        {
            return test.malformedPayload();
        }

        public String printEnvironmentVariable(String name)
        {
            return test.printEnvironmentVariablePayload(name);
        }

        public List<String> invalidEnvironmentVariableNames()
        {
            return test.invalidEnvironmentVariableNames();
        }

        public String environmentVariableName()
        {
            return test.environmentVariableName();
        }

        public String writeFiles()
        {
            return test.writeFilesPayload();
        }

        public ArtifactLayout artifactLayout()
        {
            return test.artifactLayout();
        }

        public String volumeMountPoint()
        {
            return test.volumeMountPoint();
        }

        public String writeVolume(String mountPoint)
        {
            return test.writeVolumePayload(mountPoint);
        }

        public String checkVolume(String mountPoint)
        {
            return test.checkVolumePayload(mountPoint);
        }

        public String proxyName()
        {
            return test.proxyName();
        }

        public String pingProxy(String proxyName)
        {
            return test.pingProxyPayload(proxyName);
        }

        public ShellScript shellScript()
        {
            return test.shellScript();
        }

        public List<Display> expectedDisplays()
        {
            return test.expectedDisplays();
        }

        public String invalidDisplayName()
        {
            return test.invalidDisplayName();
        }

        public String configWithMaxConcurrency(int max)
        {
            return test.engineConfigWithMaxConcurrency(max);
        }

        public int resolutionSchedules()
        {
            return test.resolutionSchedules();
        }

        public Duration callTimeout()
        {
            return test.callTimeout();
        }
    }
}
