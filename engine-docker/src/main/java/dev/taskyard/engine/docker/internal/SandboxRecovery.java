package dev.taskyard.engine.docker.internal;

import java.time.Duration;
import java.util.Map;

import com.github.dockerjava.api.command.InspectContainerResponse;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.support.AbstractEngine.Slot;

import static java.util.Objects.requireNonNull;

/**
 * One re-attachment to the container of a {@link RecoveryHandle}: {@link #checkContainer()} inspects it (gone, or
 * never started because the process that created it ended first → {@link ResourceNotFoundException}, removing a
 * never started one; not this worker's → {@link MalformedPayloadException}), {@link #attach} takes it over as a
 * {@link DockerSandbox}. The log comes from the daemon's log of the container (the {@code json-file} or
 * {@code local} driver keeps every byte the task printed, stdout and stderr interleaved as they arrived), followed to
 * its end, with the first {@link RecoveryOptions#logOffset()} bytes skipped; the exit code and the OOM flag come
 * from the daemon's wait and inspect calls as for a sandbox the engine started, also when the container ended while
 * no engine watched it.
 *
 * <p>Used by one thread, once.
 */
final class SandboxRecovery
{
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);

    private final DockerEngine engine;
    private final RecoveryHandle handle;
    private final TaskContext context;
    private final long logOffset;
    private String state = "-";
    private String id;

    SandboxRecovery(DockerEngine engine, RecoveryHandle handle, RecoveryOptions options)
    {
        this.engine = requireNonNull(engine, "engine is null");
        this.handle = requireNonNull(handle, "handle is null");
        this.context = options.context();
        this.logOffset = options.logOffset();
    }

    /**
     * Checks that the container still exists, is not being removed, and is one this worker's engine made under the
     * handle's name.
     */
    void checkContainer()
            throws EngineException
    {
        InspectContainerResponse inspected;
        try {
            inspected = engine.client().inspectContainerCmd(handle.name()).exec();
        }
        catch (RuntimeException e) {
            if (DockerErrors.isNotFound(e)) {
                throw gone("it was removed");
            }
            throw DockerErrors.internal(engine.config().socket(), "inspect container " + handle.name()
                    + " to recover task " + context.taskId(), e);
        }
        id = inspected.getId();
        String name = inspected.getName() == null ? "" : inspected.getName().replaceFirst("^/", "");
        Map<String, String> labels = inspected.getConfig() == null || inspected.getConfig().getLabels() == null
                ? Map.of() : inspected.getConfig().getLabels();
        if (!name.equals(handle.name()) || !labels.entrySet().containsAll(engine.labels().forWorker().entrySet())) {
            throw new MalformedPayloadException("container " + shortId() + " of the sandbox handle was not made by "
                    + "the Docker engine of worker " + engine.context().worker().workerGroup() + "/"
                    + engine.context().worker().workerId());
        }
        InspectContainerResponse.ContainerState containerState = inspected.getState();
        state = containerState == null || containerState.getStatus() == null ? "-" : containerState.getStatus();
        if (state.equals("removing") || state.equals("dead")) {
            throw gone("it is " + state);
        }
        if (state.equals("created")) {
            // the process that made it ended before it started the container: the task never ran
            removeNeverStarted();
            throw gone("the start was interrupted before the task ran; the container is removed");
        }
    }

    /**
     * Takes over the container with the slot: follows its log and its exit.
     *
     * @throws ResourceNotFoundException the container went away meanwhile
     * @throws NonFatalInternalErrorException the daemon failed; the container is removed (the caller runs the task
     *         again) and the slot released
     */
    Sandbox attach(Slot slot)
            throws EngineException
    {
        ContainerHandle container;
        try {
            container = ContainerHandle.adopt(engine, context, id, handle.name());
        }
        catch (RuntimeException | Error e) {
            slot.release();
            throw e;
        }
        LogPump pump = new LogPump(context.log(), logOffset);
        try {
            try {
                engine.client().logContainerCmd(id)
                        .withStdOut(true)
                        .withStdErr(true)
                        .withFollowStream(true)
                        .withTimestamps(false)
                        .exec(pump);
            }
            catch (RuntimeException e) {
                throw failure("read the log of container " + container.shortId(), e);
            }
            awaitLogStream(pump, container);
            DockerSandbox sandbox = new DockerSandbox(engine, context, container, pump, slot);
            sandbox.begin();
            engine.logger().info("task {} run {}: recovered container {} ({}; log from byte {})", context.taskId(),
                    context.runId(), container.shortId(), state, logOffset);
            return sandbox;
        }
        catch (EngineException | RuntimeException | Error e) {
            pump.close();
            container.removeQuietly(); // the caller runs the task again: the old container must not go on
            slot.release();
            throw e;
        }
    }

    private void removeNeverStarted()
            throws EngineException
    {
        try {
            engine.client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            engine.logger().info("task {} run {}: removed container {}, which was never started", context.taskId(),
                    context.runId(), shortId());
        }
        catch (RuntimeException e) {
            if (!DockerErrors.isNotFound(e)) {
                throw DockerErrors.internal(engine.config().socket(), "remove the never started container "
                        + shortId() + " of task " + context.taskId(), e);
            }
        }
    }

    private void awaitLogStream(LogPump pump, ContainerHandle container)
            throws EngineException
    {
        try {
            if (!pump.awaitStarted(ATTACH_TIMEOUT)) {
                throw new NonFatalInternalErrorException("the Docker daemon did not answer the log request for "
                        + "container " + container.shortId() + " within " + ATTACH_TIMEOUT.toSeconds() + " s");
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskCanceledException("interrupted while recovering the container of task " + context.taskId());
        }
        if (pump.error().isPresent()) {
            Throwable error = pump.error().get();
            RuntimeException cause = error instanceof RuntimeException runtime ? runtime : new RuntimeException(error);
            throw failure("read the log of container " + container.shortId(), cause);
        }
    }

    private EngineException failure(String action, RuntimeException e)
    {
        if (DockerErrors.isNotFound(e)) {
            return gone("it was removed");
        }
        return DockerErrors.internal(engine.config().socket(), action + " to recover task " + context.taskId(), e);
    }

    private ResourceNotFoundException gone(String why)
    {
        return new ResourceNotFoundException("the container " + shortId() + " of task " + context.taskId()
                + " is gone (" + why + "): the task cannot be recovered");
    }

    private String shortId()
    {
        return id == null ? handle.name() : id.substring(0, Math.min(12, id.length()));
    }
}
