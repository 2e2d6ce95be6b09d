/**
 * The store contract kit: {@link dev.taskyard.store.testkit.TaskStoreContract}, the JUnit 5 suite every
 * {@link dev.taskyard.store.TaskStore} implementation extends, and the {@link dev.taskyard.store.testkit.ManualClock}
 * it drives leases with. A test library: no production module requires it.
 */
module dev.taskyard.store.testkit {
    requires transitive dev.taskyard.store; // the kit's API hands out stores
    requires transitive org.junit.jupiter.api; // authors extend a JUnit 5 test class
    requires org.assertj.core;

    exports dev.taskyard.store.testkit;

    // the kit's @BeforeEach / @AfterEach / @Test methods may be package-private: JUnit calls them reflectively
    opens dev.taskyard.store.testkit to org.junit.platform.commons;
}
