package dev.taskyard.arch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The rules of the module graph, as ArchUnit rules over packages. Each rule is built from package lists so that its
 * self-test can aim it at deliberately violating fixture packages.
 */
final class ArchitectureRules
{
    /** The SPIs third parties implement or call: the engine SPI (and its schema and support layer), the plugin SPI. */
    static final String[] SPI =
            {"dev.taskyard.engine", "dev.taskyard.engine.schema", "dev.taskyard.engine.support", "dev.taskyard.plugin"};

    /** The host side: the worker, the store, the server and the plugins' host machinery. */
    static final String[] WORKER =
            {"dev.taskyard.worker..", "dev.taskyard.store..", "dev.taskyard.server..", "dev.taskyard.plugin.internal..",
            "dev.taskyard.plugin.host.."};

    /** The engines shipped with taskyard. */
    static final String[] ENGINES =
            {"dev.taskyard.engine.mock..", "dev.taskyard.engine.process..", "dev.taskyard.engine.docker..",
            "dev.taskyard.engine.remote.."};

    /** The worker core. */
    static final String[] WORKER_CORE = {"dev.taskyard.worker.."};

    /** HTTP: servers, clients and taskyard's own API client and server. */
    static final String[] HTTP =
            {"org.eclipse.jetty..", "jakarta.servlet..", "java.net.http..", "com.sun.net.httpserver..",
            "dev.taskyard.client..", "dev.taskyard.server.."};

    /**
     * Each module's internal package and the packages allowed to use it: its own module, plus the worker for the
     * plugins' internal package and the PostgreSQL store for the store's (which module-info exports to them only).
     */
    static final Map<String, List<String>> INTERNALS = Map.of(
            "dev.taskyard.engine.internal..",
                    List.of("dev.taskyard.engine", "dev.taskyard.engine.schema", "dev.taskyard.engine.support",
                    "dev.taskyard.engine.internal.."),
            "dev.taskyard.engine.process.internal..", List.of("dev.taskyard.engine.process.."),
            "dev.taskyard.engine.docker.internal..", List.of("dev.taskyard.engine.docker.."),
            "dev.taskyard.engine.remote.internal..", List.of("dev.taskyard.engine.remote.."),
            "dev.taskyard.client.internal..", List.of("dev.taskyard.client.."),
            "dev.taskyard.store.internal..",
                    List.of("dev.taskyard.store", "dev.taskyard.store.internal..", "dev.taskyard.store.postgres.."),
            "dev.taskyard.store.postgres.internal..", List.of("dev.taskyard.store.postgres.."),
            "dev.taskyard.server.internal..", List.of("dev.taskyard.server.."),
            "dev.taskyard.worker.internal..", List.of("dev.taskyard.worker.."),
            "dev.taskyard.plugin.internal..", List.of("dev.taskyard.plugin..", "dev.taskyard.worker.."));

    private ArchitectureRules() {}

    static ArchRule spiMustNotReachTheWorker(String... spi)
    {
        return noClasses().that().resideInAnyPackage(spi)
                .should().dependOnClassesThat().resideInAnyPackage(WORKER)
                .because("an SPI is implemented by third parties and must not drag the worker along");
    }

    static ArchRule enginesMustNotReachTheWorker(String... engines)
    {
        return noClasses().that().resideInAnyPackage(engines)
                .should().dependOnClassesThat().resideInAnyPackage(WORKER)
                .because("engines see only the engine SPI; the worker drives them");
    }

    static ArchRule workerMustNotSpeakHttp(String... worker)
    {
        return noClasses().that().resideInAnyPackage(worker)
                .should().dependOnClassesThat().resideInAnyPackage(HTTP)
                .because("the worker core knows queues and engines; HTTP belongs to the server, the client and the "
                        + "remote engine");
    }

    static List<ArchRule> noReachingIntoAnotherModulesInternals(Map<String, List<String>> internals)
    {
        List<ArchRule> rules = new ArrayList<>();
        internals.forEach((internal, owners) ->
                rules.add(noClasses().that().resideOutsideOfPackages(owners.toArray(String[]::new))
                .should().dependOnClassesThat().resideInAPackage(internal)
                .because(internal + " is not API: only " + owners + " may use it")));
        return rules;
    }
}
