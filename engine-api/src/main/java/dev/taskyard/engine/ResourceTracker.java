package dev.taskyard.engine;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/**
 * A ledger of the resources an engine holds: processes, folders, containers, volumes, sandbox slots. The engine
 * {@linkplain #acquire(String, String) acquires} an entry when it creates a resource and
 * {@linkplain Resource#release() releases} it when the resource is gone. After {@link Engine#dispose()} the
 * tracker must be {@linkplain #isEmpty() empty}; the contract kit checks that after every test.
 *
 * <p>Thread-safe; acquiring and releasing are cheap (one map operation).
 */
public final class ResourceTracker
{
    private final Map<Long, Resource> live = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    /** Records a live resource of the given kind (e.g. {@code process}) and description (e.g. a pid). */
    public Resource acquire(String kind, String description)
    {
        Resource resource = new Resource(ids.incrementAndGet(), requireNonNull(kind, "kind is null"),
                requireNonNull(description, "description is null"));
        live.put(resource.id, resource);
        return resource;
    }

    /** Whether nothing is held. */
    public boolean isEmpty()
    {
        return live.isEmpty();
    }

    /** The live resources, as {@code kind: description} strings, oldest first. */
    public List<String> live()
    {
        return live.values().stream()
                .sorted((a, b) -> Long.compare(a.id, b.id))
                .map(Resource::toString)
                .toList();
    }

    /** An entry in the ledger. {@link #release()} is idempotent and thread-safe. */
    public final class Resource
            implements AutoCloseable
    {
        private final long id;
        private final String kind;
        private final String description;
        private final AtomicBoolean released = new AtomicBoolean();

        private Resource(long id, String kind, String description)
        {
            this.id = id;
            this.kind = kind;
            this.description = description;
        }

        /** Removes the entry; later calls do nothing. */
        public void release()
        {
            if (released.compareAndSet(false, true)) {
                live.remove(id);
            }
        }

        /** Same as {@link #release()}. */
        @Override
        public void close()
        {
            release();
        }

        public boolean isReleased()
        {
            return released.get();
        }

        @Override
        public String toString()
        {
            return kind + ": " + description;
        }
    }
}
