package dev.taskyard.engine.docker.internal;

import java.util.HashSet;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Which containers left by earlier engines of this worker the reconciler keeps for recovery. With recovery on, every
 * container of the worker is kept until the worker said which of them its stored leases claim
 * ({@link DockerEngine#retainRecoverable}), or until the grace period has passed since the engine started if it
 * never says; afterwards only the claimed ones are kept, each until {@link DockerEngine#recoverSandbox} was called
 * with its handle. With recovery off nothing is kept (the reconciler's rules before recovery existed).
 *
 * <p>Thread-safe.
 */
final class RecoveryClaims
{
    private final boolean enabled;
    private Set<String> claimed; // container names; null until the worker said which ones

    RecoveryClaims(boolean enabled)
    {
        this.enabled = enabled;
    }

    /** Records the names of the containers stored leases claim; a second call replaces the first. */
    synchronized void retain(Set<String> names)
    {
        claimed = new HashSet<>(requireNonNull(names, "names is null"));
    }

    /** The container is being recovered (or its recovery failed): the claim is used up either way. */
    synchronized void recovering(String name)
    {
        if (claimed != null) {
            claimed.remove(name);
        }
    }

    /** Whether the worker has not yet said which containers it recovers (always false with recovery off). */
    synchronized boolean awaitingClaims()
    {
        return enabled && claimed == null;
    }

    /** Whether a stored lease claims the container and its recovery has not been attempted yet. */
    synchronized boolean isClaimed(String name)
    {
        return claimed != null && claimed.contains(name);
    }
}
