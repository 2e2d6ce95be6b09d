package dev.taskyard.arch;

import java.util.List;
import java.util.Map;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import dev.taskyard.arch.fixture.engine.ArchFixtureEngineUsesWorker;
import dev.taskyard.arch.fixture.internal.ArchFixtureUsesForeignInternal;
import dev.taskyard.arch.fixture.spi.ArchFixtureSpiUsesWorker;
import dev.taskyard.arch.fixture.worker.ArchFixtureWorkerUsesHttp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A test of {@link ArchitectureTest}: each rule, aimed at a fixture package holding one deliberate violation, fails
 * and names the violating class; aimed at a clean class, it passes.
 */
class ArchitectureRulesTest
{
    private static final String FIXTURES = "dev.taskyard.arch.fixture";

    @Test
    void spiRuleFailsOnAnSpiClassUsingTheWorker()
    {
        assertFails(ArchitectureRules.spiMustNotReachTheWorker(FIXTURES + ".spi"), ArchFixtureSpiUsesWorker.class);
    }

    @Test
    void engineRuleFailsOnAnEngineUsingTheWorker()
    {
        assertFails(ArchitectureRules.enginesMustNotReachTheWorker(FIXTURES + ".engine.."),
                ArchFixtureEngineUsesWorker.class);
    }

    @Test
    void httpRuleFailsOnTheWorkerUsingAnHttpClient()
    {
        assertFails(ArchitectureRules.workerMustNotSpeakHttp(FIXTURES + ".worker.."), ArchFixtureWorkerUsesHttp.class);
    }

    @Test
    void internalRuleFailsOnAClassUsingAnotherModulesInternals()
    {
        List<ArchRule> rules = ArchitectureRules.noReachingIntoAnotherModulesInternals(
                Map.of("dev.taskyard.engine.internal..",
                        ArchitectureRules.INTERNALS.get("dev.taskyard.engine.internal..")));
        assertThat(rules).hasSize(1);
        assertFails(rules.get(0), ArchFixtureUsesForeignInternal.class);
    }

    @Test
    void rulesPassOnACleanClass()
    {
        JavaClasses clean = new ClassFileImporter().importClasses(ArchitectureRulesTest.class);
        ArchitectureRules.spiMustNotReachTheWorker(FIXTURES + "..").allowEmptyShould(true).check(clean);
        ArchitectureRules.workerMustNotSpeakHttp("dev.taskyard.arch..").check(clean);
    }

    private static void assertFails(ArchRule rule, Class<?> fixture)
    {
        JavaClasses classes = new ClassFileImporter().importClasses(fixture);
        assertThatThrownBy(() -> rule.check(classes))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(fixture.getName());
    }
}
