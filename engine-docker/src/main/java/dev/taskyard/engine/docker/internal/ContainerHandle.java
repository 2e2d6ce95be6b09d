package dev.taskyard.engine.docker.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceTracker;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.support.AbstractSandboxBuilder;

/**
 * One task's container, from creation to removal. It is owned by the builder while it starts, then by the sandbox,
 * then by the result set; the last owner calls {@link #remove()}. The name is claimed in {@link Ownership} and the
 * tracker entry taken before the daemon is asked to create it, and both are given up when it is removed.
 *
 * <p>Thread-safe; {@link #kill()} and {@link #remove()} may race with each other and with the task's own exit.
 */
final class ContainerHandle
{
    private final DockerEngine engine;
    private final TaskContext task;
    private final String name;
    private final ResourceTracker.Resource resource;
    private final List<DockerVolume> volumes;
    private final AtomicBoolean removed = new AtomicBoolean();
    private volatile String id;

    private ContainerHandle(DockerEngine engine, TaskContext task, String name, ResourceTracker.Resource resource,
            List<DockerVolume> volumes)
    {
        this.engine = engine;
        this.task = task;
        this.name = name;
        this.resource = resource;
        this.volumes = volumes;
    }

    /**
     * Creates (but does not start) the container of a task, under the name its builder picked
     * ({@link RecoveryHandle#newName()}).
     *
     * @throws MalformedPayloadException the daemon refused the payload (no such image, a bad working directory, more
     *         CPUs than the host has, …) or a volume was disposed
     * @throws NonFatalInternalErrorException the daemon failed or does not answer
     */
    static ContainerHandle create(DockerEngine engine, TaskSpec spec,
            AbstractSandboxBuilder.Spec declared, TaskContext task, String name)
            throws EngineException
    {
        List<DockerVolume> volumes = new ArrayList<>();
        List<Mount> mounts = new ArrayList<>();
        for (AbstractSandboxBuilder.Mount mount : declared.volumes().values()) {
            DockerVolume volume = (DockerVolume) mount.volume();
            try {
                volume.attach();
            }
            catch (MalformedPayloadException e) {
                volumes.forEach(DockerVolume::detach);
                throw e;
            }
            volumes.add(volume);
            mounts.add(new Mount().withType(MountType.VOLUME).withSource(volume.name()).withTarget(mount.mountPoint())
                    .withReadOnly(mount.readOnly()));
        }
        Ownership.claim(name);
        ResourceTracker.Resource resource = engine.context().tracker()
                .acquire("docker-container", name + " (task " + task.taskId() + " run " + task.runId() + ")");
        ContainerHandle handle = new ContainerHandle(engine, task, name, resource, List.copyOf(volumes));
        engine.register(handle);
        try {
            handle.id = command(engine, spec, declared.environment(), name, task, mounts).exec().getId();
        }
        catch (RuntimeException e) {
            handle.removeQuietly();
            if (DockerErrors.isNotFound(e)) {
                throw new MalformedPayloadException("image " + spec.image() + " is not present: "
                        + DockerErrors.reason(e));
            }
            if (DockerErrors.isDaemonAnswer(e)
                    && e instanceof com.github.dockerjava.api.exception.BadRequestException) {
                throw new MalformedPayloadException("the Docker daemon refused the container: "
                        + DockerErrors.reason(e));
            }
            throw DockerErrors.internal(engine.config().socket(), "create the container of task " + task.taskId(), e);
        }
        engine.logger().info("task {} run {}: created container {} ({}) from {}", task.taskId(), task.runId(), name,
                handle.shortId(), spec.image());
        return handle;
    }

    /**
     * Takes over the existing container of a recovered task ({@link DockerEngine#recoverSandbox}): claims its name
     * and a tracker entry as {@link #create} does. The volumes it mounts stay their owners'.
     */
    static ContainerHandle adopt(DockerEngine engine, TaskContext task, String id, String name)
    {
        Ownership.claim(name);
        ResourceTracker.Resource resource = engine.context().tracker()
                .acquire("docker-container", name + " (task " + task.taskId() + " run " + task.runId()
                        + ", recovered)");
        ContainerHandle handle = new ContainerHandle(engine, task, name, resource, List.of());
        handle.id = id;
        engine.register(handle);
        return handle;
    }

    private static CreateContainerCmd command(DockerEngine engine, TaskSpec spec, Map<String, String> environment,
            String name, TaskContext task, List<Mount> mounts)
    {
        DockerConfig config = engine.config();
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(config.network())
                .withInit(config.init())
                .withReadonlyRootfs(config.readOnlyRootFilesystem())
                .withCapDrop(config.capDrop().toArray(Capability[]::new))
                .withCapAdd(config.capAdd().toArray(Capability[]::new))
                .withPrivileged(spec.privileged())
                .withNanoCPUs(spec.limits().nanoCpus())
                .withMemory(spec.limits().memoryBytes())
                .withMemorySwap(spec.limits().memoryBytes())
                .withPidsLimit(spec.limits().pids())
                .withMounts(mounts);
        if (config.noNewPrivileges()) {
            host.withSecurityOpts(List.of("no-new-privileges"));
        }
        List<String> env = new ArrayList<>();
        environment.forEach((key, value) -> env.add(key + "=" + value));
        CreateContainerCmd command = engine.client().createContainerCmd(spec.image().reference())
                .withName(name)
                .withCmd(spec.command())
                .withEnv(env)
                .withLabels(engine.labels().forContainer(task))
                .withAttachStdin(false)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withTty(false)
                .withNetworkDisabled(config.networkDisabled())
                .withHostConfig(host);
        spec.workdir().ifPresent(command::withWorkingDir);
        spec.user().ifPresent(command::withUser);
        return command;
    }

    /** The daemon's id of the container. */
    String id()
    {
        return id;
    }

    String name()
    {
        return name;
    }

    TaskContext task()
    {
        return task;
    }

    String shortId()
    {
        String current = id;
        return current == null ? "-" : current.substring(0, Math.min(12, current.length()));
    }

    /** Sends SIGKILL; a container that is not running (any more) or is gone is fine. Never throws. */
    void kill()
    {
        try {
            engine.client().killContainerCmd(id).withSignal("KILL").exec();
            engine.logger().info("task {} run {}: killed container {}", task.taskId(), task.runId(), shortId());
        }
        catch (RuntimeException e) {
            if (!DockerErrors.isNotRunning(e) && !DockerErrors.isNotFound(e)) {
                engine.logger().warn("task {} run {}: killing container {} failed: {}", task.taskId(), task.runId(),
                        shortId(), DockerErrors.reason(e));
            }
        }
    }

    /**
     * Kills and removes the container (with its anonymous volumes) and gives up everything it holds; a container that
     * is already gone is fine. Idempotent.
     *
     * @throws NonFatalInternalErrorException the daemon could not remove it; it is left to the reconciler, and the
     *         engine's bookkeeping is released anyway
     */
    void remove()
            throws NonFatalInternalErrorException
    {
        if (!removed.compareAndSet(false, true)) {
            return;
        }
        try {
            engine.client().removeContainerCmd(id == null ? name : id).withForce(true).withRemoveVolumes(true).exec();
            engine.logger().info("task {} run {}: removed container {}", task.taskId(), task.runId(), shortId());
        }
        catch (RuntimeException e) {
            if (!DockerErrors.isNotFound(e)
                    && !(DockerErrors.isConflict(e) && DockerErrors.reason(e).contains("already in progress"))) {
                throw DockerErrors.internal(engine.config().socket(), "remove container " + name + " of task "
                        + task.taskId() + " (left to the reconciler)", e);
            }
        }
        finally {
            forget();
        }
    }

    /** {@link #remove()}, logging a failure instead of throwing it. */
    void removeQuietly()
    {
        try {
            remove();
        }
        catch (NonFatalInternalErrorException e) {
            engine.logger().warn("task {} run {}: {}", task.taskId(), task.runId(), e.getMessage());
        }
    }

    private void forget()
    {
        Ownership.release(name);
        resource.release();
        engine.unregister(this);
        volumes.forEach(DockerVolume::detach);
    }

    @Override
    public String toString()
    {
        return "container " + name;
    }
}
