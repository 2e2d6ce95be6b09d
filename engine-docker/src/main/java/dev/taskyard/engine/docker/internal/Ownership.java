package dev.taskyard.engine.docker.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The names of the Docker objects (containers, volumes) that a live engine of this JVM owns. It is shared by all
 * engines of the process, so that two engines of the same worker (tests create many) never reap each other's
 * objects. A name is claimed <em>before</em> the object is created, so the reconciler never sees an owned object
 * unclaimed. Thread-safe.
 */
final class Ownership
{
    private static final Set<String> OWNED = ConcurrentHashMap.newKeySet();

    private Ownership() {}

    static void claim(String name)
    {
        OWNED.add(requireNonNull(name, "name is null"));
    }

    /** Hands the object over to the reconciler (or forgets a removed one). */
    static void release(String name)
    {
        OWNED.remove(requireNonNull(name, "name is null"));
    }

    static boolean isOwned(String name)
    {
        return OWNED.contains(name);
    }
}
