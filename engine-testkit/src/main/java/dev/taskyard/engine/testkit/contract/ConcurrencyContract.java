package dev.taskyard.engine.testkit.contract;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import dev.taskyard.engine.Engine;
import dev.taskyard.engine.MaxConcurrencyExceededException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.testkit.ArtifactLayout;
import dev.taskyard.engine.testkit.ContractRule;
import dev.taskyard.engine.testkit.EngineBehavior;
import dev.taskyard.engine.testkit.KitRun;
import org.junit.jupiter.api.Test;

import static dev.taskyard.engine.testkit.contract.KitAssertions.check;

/** Thread rules probed with many threads released at one instant, for enough rounds to hit races. */
public interface ConcurrencyContract
        extends ContractCase
{
    @Test
    default void maxConcurrencyHoldsForBuildersStartedAtOnce()
            throws Exception
    {
        int max = 2;
        int threads = 8;
        ResourceTracker limitedTracker = new ResourceTracker();
        Engine limited = newEngine(payloads().configWithMaxConcurrency(max), limitedTracker);
        for (int round = 0; round < 12; round++) {
            List<Object> outcomes = atOnce("newSandboxBuilder", threads,
                    i -> () -> newRun(limited, payloads().silent(), newContext(b -> {})));
            List<KitRun> granted = new ArrayList<>();
            for (Object outcome : outcomes) {
                if (outcome instanceof KitRun run) {
                    granted.add(run);
                }
                else {
                    check(outcome instanceof MaxConcurrencyExceededException, ContractRule.MAX_CONCURRENCY,
                            "newSandboxBuilder beyond the limit gave " + outcome
                                    + "; expected max-concurrency-exceeded");
                }
            }
            check(granted.size() == max, ContractRule.MAX_CONCURRENCY,
                    "round " + round + ": " + threads
                            + " threads called newSandboxBuilder at one instant on an engine limited to " + max
                            + ", and " + granted.size() + " got a builder");
            for (KitRun run : granted) {
                run.dispose();
            }
        }
        limited.dispose();
        KitAssertions.checkReleased(limitedTracker, List.of(), "dispose of the limited engine");
    }

    @Test
    default void resultSetExtractsFromManyThreads()
            throws Exception
    {
        if (!supports(EngineBehavior.SUPPORTS_ARTIFACTS)) {
            return; // the negative is verified by extractTextFile
        }
        ArtifactLayout layout = payloads().artifactLayout();
        KitRun run = newRun(payloads().writeFiles());
        check(within("a run of the write-files payload", run::run), ContractRule.SUCCESS_REPORTING,
                "the write-files payload failed; log: " + run.log());
        ResultSet result = run.waitForResult();
        List<String> paths = new ArrayList<>();
        paths.add(layout.textFile());
        layout.nestedFiles().stream().sorted().forEach(file -> paths.add(layout.nestedFolder() + "/" + file));
        Map<String, String> expected = new TreeMap<>();
        for (String path : paths) {
            expected.put(path, read(result, path));
        }
        int threads = 8;
        for (int round = 0; round < 6; round++) {
            List<Object> outcomes = atOnce("extractFile", threads, i -> () -> {
                if (i % 4 == 3) {
                    Map<String, String> folder = new ConcurrentHashMap<>();
                    result.extractFolder(layout.nestedFolder(),
                            (name, in) -> folder.put(layout.nestedFolder() + "/" + name,
                            new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                    return new TreeMap<>(folder);
                }
                String path = paths.get(i % paths.size());
                return Map.of(path, read(result, path));
            });
            for (Object outcome : outcomes) {
                check(outcome instanceof Map<?, ?>, ContractRule.RESULT_SET_THREAD_SAFETY,
                        "a concurrent extraction failed: " + outcome);
                for (Map.Entry<?, ?> entry : ((Map<?, ?>) outcome).entrySet()) {
                    check(entry.getValue().equals(expected.get(entry.getKey())), ContractRule.RESULT_SET_THREAD_SAFETY,
                            "a concurrent extraction of " + entry.getKey() + " gave \"" + entry.getValue()
                                    + "\", alone it gives \"" + expected.get(entry.getKey()) + "\"");
                }
            }
        }
    }

    private static String read(ResultSet result, String path)
            throws Exception
    {
        try (InputStream in = result.extractFile(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    default void providerCreatesIndependentEnginesConcurrently()
            throws Exception
    {
        int threads = 4;
        List<ResourceTracker> trackers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            trackers.add(new ResourceTracker());
        }
        List<Object> outcomes =
                atOnce("createEngine", threads, i -> () -> newEngine(payloads().config(), trackers.get(i)));
        List<Engine> engines = new ArrayList<>();
        for (Object outcome : outcomes) {
            check(outcome instanceof Engine, ContractRule.PROVIDER_REENTRANT,
                    "createEngine called concurrently gave " + outcome);
            engines.add((Engine) outcome);
        }
        check(engines.stream().distinct().count() == threads, ContractRule.PROVIDER_REENTRANT,
                "createEngine returned the same engine twice");
        within("dispose of the first engine", () -> {
            engines.get(0).dispose();
            return null;
        });
        for (int i = 1; i < threads; i++) {
            KitRun run;
            try {
                run = newRun(engines.get(i), payloads().target("kit-independent-" + i), newContext(b -> {}));
            }
            catch (IllegalStateException e) {
                throw KitAssertions.violation(ContractRule.PROVIDER_REENTRANT,
                        "disposing one engine disabled another", e);
            }
            check(within("a run on engine " + i, run::run), ContractRule.PROVIDER_REENTRANT, "a run on engine " + i
                    + " failed after another engine was disposed; log: " + run.log());
            run.dispose();
            check(trackers.get(0).isEmpty(), ContractRule.PROVIDER_REENTRANT, "a run on engine " + i
                    + " was recorded in another engine's tracker: " + trackers.get(0).live());
        }
        for (int i = 1; i < threads; i++) {
            engines.get(i).dispose();
        }
        for (ResourceTracker engineTracker : trackers) {
            KitAssertions.checkReleased(engineTracker, List.of(), "dispose of concurrently created engines");
        }
    }
}
