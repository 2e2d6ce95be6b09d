package dev.taskyard.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module graph of every taskyard module's main code (engines, plugins, worker, store, client, server, bench and
 * the kit): SPI → worker, engines → worker, worker → HTTP and anything → another module's internal package are
 * forbidden. {@link ArchitectureRulesTest} shows each rule fails on a violation.
 */
class ArchitectureTest
{
    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses()
    {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.taskyard");
        // a sanity check that the import saw every module, so that a rule cannot pass on an empty set
        for (String type : new String[] {"dev.taskyard.engine.Engine", "dev.taskyard.engine.internal.BufferedTaskLog",
                "dev.taskyard.engine.mock.MockEngine",
                "dev.taskyard.engine.process.internal.ProcessEngine",
                        "dev.taskyard.engine.docker.internal.DockerEngine",
                "dev.taskyard.engine.remote.internal.RemoteEngine", "dev.taskyard.plugin.internal.PluginManager",
                        "dev.taskyard.worker.Worker",
                "dev.taskyard.store.SqliteTaskStore", "dev.taskyard.client.TaskyardClient", "dev.taskyard.server.Main",
                        "dev.taskyard.bench.WorkerBench",
                "dev.taskyard.engine.testkit.EngineContractTest"}) {
            assertThat(production.contain(type)).as("imported %s", type).isTrue();
        }
        assertThat(production.stream().anyMatch(type -> type.getSimpleName().startsWith("ArchFixture")))
                .as("fixtures are test classes").isFalse();
    }

    @Test
    void spiDoesNotReachTheWorker()
    {
        ArchitectureRules.spiMustNotReachTheWorker(ArchitectureRules.SPI).check(production);
    }

    @Test
    void enginesDoNotReachTheWorker()
    {
        ArchitectureRules.enginesMustNotReachTheWorker(ArchitectureRules.ENGINES).check(production);
    }

    @Test
    void workerDoesNotSpeakHttp()
    {
        ArchitectureRules.workerMustNotSpeakHttp(ArchitectureRules.WORKER_CORE).check(production);
    }

    @Test
    void noModuleReachesIntoAnotherModulesInternals()
    {
        for (ArchRule rule : ArchitectureRules.noReachingIntoAnotherModulesInternals(ArchitectureRules.INTERNALS)) {
            rule.check(production);
        }
    }
}
