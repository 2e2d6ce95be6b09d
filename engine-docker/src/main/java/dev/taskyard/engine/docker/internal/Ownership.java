package dev.taskyard.engine.docker.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The names of the Docker objects (containers, volumes) that a live engine of this JVM owns. It is shared by all
 * engines of the process, so that two engines of the same worker (tests create many) never reap each other's
 * objects. A name is claimed <em>before</em> the object is created, so the reconciler never sees an owned object
 * unclaimed. Claims are counted: a container recovered by a second engine while the first still watches it
 * ({@link DockerEngine#recoverSandbox}) stays owned until both let go. Thread-safe.
 */
final class Ownership
{
    private static final Map<String, Integer> OWNED = new ConcurrentHashMap<>();

    private Ownership() {}

    static void claim(String name)
    {
        OWNED.merge(requireNonNull(name, "name is null"), 1, Integer::sum);
    }

    /** Gives up one claim; the last one hands the object over to the reconciler (or forgets a removed one). */
    static void release(String name)
    {
        OWNED.computeIfPresent(requireNonNull(name, "name is null"), (key, count) -> count == 1 ? null : count - 1);
    }

    static boolean isOwned(String name)
    {
        return OWNED.containsKey(name);
    }
}
