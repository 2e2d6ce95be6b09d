/**
 * The engine contract kit: {@link dev.taskyard.engine.testkit.EngineContractTest} (and
 * {@link dev.taskyard.engine.testkit.CommandEngineContractTest} for engines running POSIX command lines) that engine
 * authors extend in their tests, the contract cases it runs ({@code dev.taskyard.engine.testkit.contract}) and
 * forwarding engines for tests of hosts ({@code dev.taskyard.engine.testkit.forwarding}). A test library: no
 * production module requires it.
 */
module dev.taskyard.engine.testkit {
    requires transitive dev.taskyard.engine; // the kit's API hands out engines, sandboxes and task contexts
    requires transitive org.junit.jupiter.api; // authors extend a JUnit 5 test class
    requires dev.taskyard.engine.mock; // FaultyEngineProvider wraps the mock engine
    requires com.google.common;
    requires quicktheories; // the resolution property test; the jar has no module name of its own

    exports dev.taskyard.engine.testkit;
    exports dev.taskyard.engine.testkit.contract;
    exports dev.taskyard.engine.testkit.forwarding;

    // the kit's @BeforeEach / @AfterEach methods are package-private: JUnit calls them reflectively
    opens dev.taskyard.engine.testkit to org.junit.platform.commons;
}
