package dev.taskyard.engine.docker.internal;

import java.util.UUID;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.Volume;

import static java.util.Objects.requireNonNull;

/**
 * A labelled Docker volume (driver {@code local}). Containers that mount it hold an attachment until they are
 * removed; {@link #dispose()} while a result set still holds such a container defers the removal until that
 * container is gone, because the daemon refuses to remove a volume in use.
 *
 * <p>Thread-safe. Owned by whoever called {@code Engine.newVolume}.
 */
final class DockerVolume
        implements Volume
{
    private final DockerEngine engine;
    private final String name;
    private final ResourceTracker.Resource resource;
    private final Object lock = new Object();

    // guarded by lock
    private int attachments;
    private boolean disposed;
    private boolean removed;

    private DockerVolume(DockerEngine engine, String name, ResourceTracker.Resource resource)
    {
        this.engine = engine;
        this.name = name;
        this.resource = resource;
    }

    /**
     * Creates an empty volume.
     *
     * @throws NonFatalInternalErrorException the daemon could not create it (nothing is left behind)
     */
    static DockerVolume create(DockerEngine engine)
            throws NonFatalInternalErrorException
    {
        requireNonNull(engine, "engine is null");
        String name = "taskyard-" + UUID.randomUUID();
        Ownership.claim(name);
        ResourceTracker.Resource resource = engine.context().tracker().acquire("docker-volume", name);
        DockerVolume volume = new DockerVolume(engine, name, resource);
        engine.register(volume);
        try {
            engine.client().createVolumeCmd()
                    .withName(name)
                    .withDriver("local")
                    .withLabels(engine.labels().forVolume())
                    .exec();
        }
        catch (RuntimeException e) {
            volume.forget();
            throw DockerErrors.internal(engine.config().socket(), "create volume " + name, e);
        }
        engine.logger().info("created volume {}", name);
        return volume;
    }

    String name()
    {
        return name;
    }

    /** Records that a container will mount the volume. */
    void attach()
            throws MalformedPayloadException
    {
        synchronized (lock) {
            if (disposed) {
                throw new MalformedPayloadException("volume " + name + " was disposed and cannot be attached");
            }
            attachments++;
        }
    }

    /** Records that a container mounting the volume is gone; completes a deferred disposal. */
    void detach()
    {
        boolean removeNow;
        synchronized (lock) {
            attachments--;
            removeNow = disposed && attachments == 0 && !removed;
            removed |= removeNow;
        }
        if (removeNow) {
            try {
                removeVolume();
            }
            catch (NonFatalInternalErrorException e) {
                engine.logger().warn("removing volume {} after its last container failed: {}", name, e.getMessage());
            }
        }
    }

    @Override
    public void dispose()
            throws EngineException
    {
        boolean removeNow;
        synchronized (lock) {
            if (disposed) {
                return;
            }
            disposed = true;
            removeNow = attachments == 0;
            removed |= removeNow;
        }
        if (removeNow) {
            removeVolume();
        }
        else {
            engine.logger().info("volume {} is still mounted by a container of an undisposed result set; it is "
                    + "removed with that container", name);
        }
    }

    /** Removes the volume whatever holds it; for the engine's own disposal. */
    void forceRemove()
    {
        synchronized (lock) {
            if (removed) {
                return;
            }
            disposed = true;
            removed = true;
        }
        try {
            removeVolume();
        }
        catch (NonFatalInternalErrorException e) {
            engine.logger().warn("removing volume {} at engine disposal failed: {}", name, e.getMessage());
        }
    }

    private void removeVolume()
            throws NonFatalInternalErrorException
    {
        try {
            engine.client().removeVolumeCmd(name).exec();
            engine.logger().info("removed volume {}", name);
        }
        catch (RuntimeException e) {
            if (!DockerErrors.isNotFound(e)) {
                forget();
                throw DockerErrors.internal(engine.config().socket(), "remove volume " + name
                        + " (left to the reconciler)", e);
            }
        }
        forget();
    }

    private void forget()
    {
        Ownership.release(name);
        resource.release();
        engine.unregister(this);
    }

    @Override
    public String toString()
    {
        return "volume " + name;
    }
}
