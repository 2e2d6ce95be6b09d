package dev.taskyard.engine.docker.internal;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

import dev.taskyard.engine.BuilderDiscardedException;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.TaskCanceledException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.support.AbstractEngine.Slot;
import dev.taskyard.engine.support.AbstractSandboxBuilder;

import static java.util.Objects.requireNonNull;

/**
 * Prepares one container. The image is made present in the background from the moment the builder exists;
 * {@link #startSandbox()} waits for it, then creates the container, attaches its log stream and starts it, in that
 * order so that no output is lost. A discard or a cancellation during the start is noticed between those steps and
 * removes whatever was created.
 *
 * <p>Thread-safe (see {@link AbstractSandboxBuilder}). The builder owns its {@link Slot} until the sandbox takes it.
 */
final class DockerSandboxBuilder
        extends AbstractSandboxBuilder
{
    private static final Pattern MOUNT_POINT = Pattern.compile("(/[A-Za-z0-9_.@+-]+)+");
    private static final Duration POLL = Duration.ofMillis(20);
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(30);

    private final DockerEngine engine;
    private final TaskSpec spec;
    private final Slot slot;
    private final CompletableFuture<Void> image;
    private final RecoveryHandle name = RecoveryHandle.newName();
    private volatile boolean transferred;

    DockerSandboxBuilder(DockerEngine engine, TaskSpec spec, TaskContext context, Slot slot,
            CompletableFuture<Void> image)
    {
        super(context);
        this.engine = requireNonNull(engine, "engine is null");
        this.spec = requireNonNull(spec, "spec is null");
        this.slot = requireNonNull(slot, "slot is null");
        this.image = requireNonNull(image, "image is null");
    }

    /**
     * Mounts a volume of this engine. Mount points are absolute, normalised paths (no {@code .} or {@code ..}
     * segments, no trailing slash), other than {@code /}.
     */
    @Override
    public void attachVolume(String mountPoint, Volume volume, boolean readOnly)
            throws EngineException
    {
        if (mountPoint == null || !MOUNT_POINT.matcher(mountPoint).matches() || mountPoint.contains("/./")
                || mountPoint.contains("/../")
                || mountPoint.endsWith("/.") || mountPoint.endsWith("/..")) {
            throw new MalformedPayloadException("invalid mount point \"" + mountPoint
                    + "\": it must be an absolute path of letters, digits and _ . @ + -, without . or .. segments or "
                            + "a trailing /");
        }
        if (!(volume instanceof DockerVolume dockerVolume) || !engine.owns(dockerVolume)) {
            throw new MalformedPayloadException("the volume for " + mountPoint
                    + " was not created by this Docker engine, or was disposed");
        }
        declareVolume(mountPoint, volume, readOnly);
    }

    /** The name the container will have, picked now (see {@link RecoveryHandle}); empty with recovery off. */
    @Override
    public Optional<SandboxHandle> handle()
    {
        return engine.config().recovery() ? Optional.of(name.toHandle()) : Optional.empty();
    }

    @Override
    protected Sandbox doStart(Spec declared)
            throws EngineException
    {
        awaitImage();
        ContainerHandle container = ContainerHandle.create(engine, spec, declared, context, name.name());
        LogPump pump = new LogPump(context.log());
        try {
            checkStillWanted();
            try {
                engine.client().attachContainerCmd(container.id())
                        .withStdOut(true)
                        .withStdErr(true)
                        .withFollowStream(true)
                        // no replay of the log: the daemon connects the streams before it answers (awaitAttached),
                        // and a replay it reads after the start would repeat what the streams deliver
                        .withLogs(false)
                        .exec(pump);
            }
            catch (RuntimeException e) {
                throw DockerErrors.internal(engine.config().socket(),
                        "attach to the container of task " + context.taskId(), e);
            }
            awaitAttached(pump);
            checkStillWanted();
            try {
                engine.client().startContainerCmd(container.id()).exec();
            }
            catch (RuntimeException e) {
                throw startFailure(e);
            }
            engine.logger().info("task {} run {}: started container {}", context.taskId(),
                    context.runId(), container.shortId());
            DockerSandbox sandbox = new DockerSandbox(engine, context, container, pump, slot);
            transferred = true;
            sandbox.begin();
            return sandbox;
        }
        catch (EngineException | RuntimeException | Error e) {
            pump.close();
            container.removeQuietly();
            throw e;
        }
    }

    @Override
    protected void release()
    {
        if (!transferred) {
            slot.release();
        }
    }

    private void awaitImage()
            throws EngineException
    {
        while (true) {
            try {
                image.get(POLL.toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            catch (TimeoutException e) {
                checkStillWanted();
                if (engine.isDisposed()) {
                    throw new NonFatalInternalErrorException("the Docker engine was disposed while task "
                            + context.taskId() + " waited for its image");
                }
            }
            catch (ExecutionException e) {
                if (e.getCause() instanceof EngineException engineError) {
                    throw rethrowable(engineError);
                }
                throw new NonFatalInternalErrorException("preparing image " + spec.image() + " failed: "
                        + e.getCause(), e.getCause());
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TaskCanceledException("interrupted while waiting for image " + spec.image());
            }
        }
    }

    private void awaitAttached(LogPump pump)
            throws EngineException
    {
        try {
            if (!pump.awaitStarted(ATTACH_TIMEOUT)) {
                throw new NonFatalInternalErrorException("the Docker daemon did not attach to the container of task "
                        + context.taskId() + " within " + ATTACH_TIMEOUT.toSeconds() + " s");
            }
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskCanceledException("interrupted while attaching to the container of task " + context.taskId());
        }
        if (pump.error().isPresent()) {
            throw DockerErrors.internal(engine.config().socket(), "attach to the container of task "
                    + context.taskId(), asRuntime(pump.error().get()));
        }
    }

    private void checkStillWanted()
            throws EngineException
    {
        if (isDiscardRequested()) {
            throw new BuilderDiscardedException("the sandbox builder was discarded during start");
        }
        context.checkNotCancelled();
    }

    private EngineException startFailure(RuntimeException e)
    {
        String reason = DockerErrors.reason(e);
        // the runtime refusing the command or the user is the payload's fault; anything else is the daemon's
        if (DockerErrors.isDaemonAnswer(e)
                && (reason.contains("executable file not found") || reason.contains("no such file or directory")
                || reason.contains("permission denied") || reason.contains("unable to find user")
                        || reason.contains("not a directory")
                || e instanceof com.github.dockerjava.api.exception.BadRequestException)) {
            return new MalformedPayloadException("the container of task " + context.taskId()
                    + " cannot start: " + reason);
        }
        return DockerErrors.internal(engine.config().socket(), "start the container of task " + context.taskId(), e);
    }

    /** The same kind of error with this thread's stack, so the caller's trace shows where it surfaced. */
    private static EngineException rethrowable(EngineException e)
    {
        if (e instanceof MalformedPayloadException malformed) {
            return new MalformedPayloadException(malformed.messages(), e);
        }
        if (e instanceof NonFatalInternalErrorException) {
            return new NonFatalInternalErrorException(e.getMessage(), e);
        }
        return e;
    }

    private static RuntimeException asRuntime(Throwable error)
    {
        return error instanceof RuntimeException runtime ? runtime : new RuntimeException(error);
    }
}
