package dev.taskyard.engine.docker;

import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * Decides whether Docker-backed tests run. A reachable daemon: they run. No daemon and {@code CI} is not
 * {@code true}: the class is disabled, with the socket and the failure as the reason. No daemon and
 * {@code CI=true}: they run, and {@link #beforeAll} fails them, so CI can never pass by skipping. The test image is
 * prepared once before the first such class.
 */
final class DockerExtension
        implements ExecutionCondition, BeforeAllCallback
{
    private static final AtomicBoolean NOTICE_PRINTED = new AtomicBoolean();

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context)
    {
        TestDaemon.Status status = TestDaemon.status();
        if (status.reachable()) {
            return ConditionEvaluationResult.enabled("a Docker daemon answers at " + status.socket());
        }
        if (TestDaemon.ci()) {
            return ConditionEvaluationResult.enabled("CI=true: Docker-backed tests run even though no daemon answers "
                    + "at " + status.socket());
        }
        String reason = "skipped: no Docker daemon answers at " + status.socket() + " (" + status.reason()
                + "); start dockerd, or set CI=true to make these tests fail instead of skipping";
        if (NOTICE_PRINTED.compareAndSet(false, true)) {
            // on the console, not only in the reports: a skipped engine must not look like a passing one
            System.err.println("[taskyard] Docker-backed tests " + reason);
        }
        return ConditionEvaluationResult.disabled(reason);
    }

    @Override
    public void beforeAll(ExtensionContext context)
    {
        TestDaemon.Status status = TestDaemon.status();
        if (!status.reachable()) {
            throw new AssertionError("CI=true but no Docker daemon answers at " + status.socket()
                    + ": " + status.reason());
        }
        if (TestDaemon.busybox().isEmpty()) {
            String reason = "busybox-static is not installed (apt-get install busybox-static); the test image cannot "
                    + "be built";
            if (TestDaemon.ci()) {
                throw new AssertionError("CI=true but " + reason);
            }
            throw new TestAbortedException("skipped: " + reason);
        }
        TestDaemon.image();
    }
}
