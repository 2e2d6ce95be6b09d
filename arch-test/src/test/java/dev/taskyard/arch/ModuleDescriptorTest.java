package dev.taskyard.arch;

import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every taskyard module with main code has a module descriptor that keeps {@link ModuleRules}: internal packages
 * exported only to named taskyard modules, packages opened only to named modules, no test library in production.
 * The second half aims each rule at a deliberately wrong descriptor.
 */
class ModuleDescriptorTest
{
    private static Map<String, ModuleDescriptor> descriptors;

    @BeforeAll
    static void readDescriptors()
    {
        descriptors = ModuleRules.onClassPath();
    }

    @Test
    void everyModuleHasADescriptor()
    {
        assertThat(descriptors.keySet()).as("module descriptors on the class path")
                .containsExactlyInAnyOrderElementsOf(ModuleRules.MODULES);
    }

    @Test
    void everyDescriptorKeepsTheRules()
    {
        List<String> violations = new ArrayList<>();
        descriptors.values().forEach(module -> violations.addAll(ModuleRules.violations(module)));
        assertThat(violations).isEmpty();
    }

    @Test
    void theStoreExportsItsInternalsToThePostgresStoreOnly()
    {
        assertThat(descriptors.get("dev.taskyard.store").exports())
                .filteredOn(export -> export.source().equals("dev.taskyard.store.internal"))
                .singleElement()
                .satisfies(export -> assertThat(export.targets()).containsExactly("dev.taskyard.store.postgres"));
    }

    @Test
    void anInternalPackageExportedToEveryoneFails()
    {
        ModuleDescriptor module = ModuleDescriptor.newModule("dev.taskyard.fixture")
                .exports("dev.taskyard.fixture")
                .exports("dev.taskyard.fixture.internal")
                .build();
        assertThat(ModuleRules.violations(module)).containsExactly(
                "dev.taskyard.fixture: exports its internal package dev.taskyard.fixture.internal to everyone");
    }

    @Test
    void anInternalPackageExportedToAForeignModuleFails()
    {
        ModuleDescriptor module = ModuleDescriptor.newModule("dev.taskyard.fixture")
                .exports(java.util.Set.of(), "dev.taskyard.fixture.internal",
                        java.util.Set.of("dev.taskyard.worker", "com.example.other"))
                .build();
        assertThat(ModuleRules.violations(module)).singleElement().asString().contains("not all taskyard modules");
    }

    @Test
    void anUnqualifiedOpensOrAnOpenModuleFails()
    {
        ModuleDescriptor opens =
                ModuleDescriptor.newModule("dev.taskyard.fixture").opens("dev.taskyard.fixture").build();
        assertThat(ModuleRules.violations(opens))
                .containsExactly("dev.taskyard.fixture: opens dev.taskyard.fixture to everyone");
        ModuleDescriptor open = ModuleDescriptor.newOpenModule("dev.taskyard.fixture").build();
        assertThat(ModuleRules.violations(open)).singleElement().asString().contains("is an open module");
    }

    @Test
    void aProductionModuleRequiringATestLibraryFails()
    {
        ModuleDescriptor module = ModuleDescriptor.newModule("dev.taskyard.fixture")
                .requires("dev.taskyard.engine.testkit")
                .requires("org.junit.jupiter.api")
                .build();
        assertThat(ModuleRules.violations(module)).containsExactlyInAnyOrder(
                "dev.taskyard.fixture: production code requires the test library dev.taskyard.engine.testkit",
                "dev.taskyard.fixture: production code requires the test library org.junit.jupiter.api");
    }

    @Test
    void aPackageOutsideTheModuleRootFails()
    {
        ModuleDescriptor module =
                ModuleDescriptor.newModule("dev.taskyard.fixture").exports("dev.taskyard.other").build();
        assertThat(ModuleRules.violations(module)).containsExactly(
                "dev.taskyard.fixture: package dev.taskyard.other lies outside the module's package root");
    }

    @Test
    void aDescriptorKeepingTheRulesPasses()
    {
        ModuleDescriptor module = ModuleDescriptor.newModule("dev.taskyard.fixture")
                .exports("dev.taskyard.fixture")
                .exports(java.util.Set.of(), "dev.taskyard.fixture.internal", java.util.Set.of("dev.taskyard.worker"))
                .opens(java.util.Set.of(), "dev.taskyard.fixture", java.util.Set.of("org.junit.platform.commons"))
                .requires("dev.taskyard.engine")
                .build();
        assertThat(ModuleRules.violations(module)).isEmpty();
    }
}
