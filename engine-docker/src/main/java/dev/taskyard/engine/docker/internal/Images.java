package dev.taskyard.engine.docker.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * Makes images present: an image that is not there is pulled once, however many tasks wait for it, with its
 * progress written to the log of every waiting task. Errors map to the contract: an image the daemon cannot find
 * or pull is the payload's fault ({@link MalformedPayloadException} with the daemon's reason), a daemon that does
 * not answer is a {@link NonFatalInternalErrorException}.
 *
 * <p>Thread-safe.
 */
final class Images
{
    private static final Duration PULL_INACTIVITY = Duration.ofMinutes(5);

    private final DockerEngine engine;
    private final Map<String, Pull> pulls = new ConcurrentHashMap<>();

    Images(DockerEngine engine)
    {
        this.engine = requireNonNull(engine, "engine is null");
    }

    /**
     * Starts making {@code image} present for a task, returning at once. The future fails with a
     * {@link CompletionException} whose cause is the {@link EngineException}.
     */
    CompletableFuture<Void> require(ImageReference image, TaskContext task)
    {
        return CompletableFuture.runAsync(() -> {
            try {
                ensure(image, task);
            }
            catch (EngineException e) {
                throw new CompletionException(e);
            }
        }, engine.executor());
    }

    /** Stops every pull in progress; their waiters fail. */
    void close()
    {
        pulls.values().forEach(Pull::close);
    }

    private void ensure(ImageReference image, TaskContext task)
            throws EngineException
    {
        if (isPresent(image)) {
            return;
        }
        Pull pull = pulls.get(image.reference());
        if (pull == null) {
            Pull fresh = new Pull(image);
            pull = pulls.putIfAbsent(image.reference(), fresh);
            if (pull == null) {
                pull = fresh;
                start(fresh);
            }
        }
        pull.follow(task.log());
        try {
            pull.await();
        }
        finally {
            pull.unfollow(task.log());
        }
        if (!isPresent(image)) {
            throw new MalformedPayloadException("image " + image
                    + " is still not present after it was pulled; does the reference name a platform this daemon "
                    + "cannot run?");
        }
    }

    private boolean isPresent(ImageReference image)
            throws EngineException
    {
        try {
            engine.client().inspectImageCmd(image.reference()).exec();
            return true;
        }
        catch (RuntimeException e) {
            if (DockerErrors.isNotFound(e)) {
                return false;
            }
            if (e instanceof BadRequestException) {
                throw new MalformedPayloadException("invalid image reference \"" + image + "\": "
                        + DockerErrors.reason(e));
            }
            throw DockerErrors.internal(engine.config().socket(), "inspect image " + image, e);
        }
    }

    // outside the map's compute functions: a pull that fails at once removes itself from the map
    private void start(Pull pull)
    {
        engine.logger().info("pulling image {}", pull.image);
        try {
            engine.client().pullImageCmd(pull.image.repository()).withTag(pull.image.pullTag()).exec(pull);
        }
        catch (RuntimeException e) {
            pull.onError(e);
        }
    }

    /** One pull in progress and the task logs following it. */
    private final class Pull
            extends StreamCallback<PullResponseItem>
    {
        private final ImageReference image;
        private final List<TaskLog> followers = new CopyOnWriteArrayList<>();
        private final Map<String, String> layerStatus = new ConcurrentHashMap<>();
        private volatile String failure;
        private volatile long lastActivity = System.nanoTime();

        Pull(ImageReference image)
        {
            this.image = image;
        }

        void follow(TaskLog log)
        {
            followers.add(log);
            log.writeLine("[taskyard] image " + image + " is not present; pulling it");
        }

        void unfollow(TaskLog log)
        {
            followers.remove(log);
        }

        @Override
        public void onNext(PullResponseItem item)
        {
            lastActivity = System.nanoTime();
            if (item.isErrorIndicated()) {
                failure = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                        ? item.getErrorDetail().getMessage() : "the daemon reported an error without a message";
                return;
            }
            String status = item.getStatus();
            if (status == null) {
                return;
            }
            String layer = item.getId() == null ? "" : item.getId();
            // one line per change of a layer's status, not one per progress tick
            if (!Objects.equals(layerStatus.put(layer, status), status)) {
                String line = "[taskyard] pull " + image + ": " + (layer.isEmpty() ? "" : layer + ": ") + status;
                followers.forEach(log -> log.writeLine(line));
            }
        }

        @Override
        protected void onEnd()
        {
            pulls.remove(image.reference(), this);
        }

        void await()
                throws EngineException
        {
            try {
                while (!awaitEnded(Duration.ofSeconds(1))) {
                    if (System.nanoTime() - lastActivity > PULL_INACTIVITY.toNanos()) {
                        close();
                        throw new NonFatalInternalErrorException("the pull of image " + image
                                + " made no progress for " + PULL_INACTIVITY.toMinutes() + " minutes");
                    }
                }
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NonFatalInternalErrorException("interrupted while pulling image " + image, e);
            }
            if (isClosed()) {
                throw new NonFatalInternalErrorException("the pull of image " + image
                        + " was stopped: the engine is being disposed");
            }
            Throwable error = error().orElse(null);
            if (error != null) {
                if (!DockerErrors.isDaemonAnswer(error)) {
                    throw DockerErrors.internal(engine.config().socket(), "pull image " + image, asRuntime(error));
                }
                throw new MalformedPayloadException("cannot pull image " + image + ": " + DockerErrors.reason(error));
            }
            if (failure != null) {
                throw new MalformedPayloadException("cannot pull image " + image + ": " + failure);
            }
        }
    }

    private static RuntimeException asRuntime(Throwable error)
    {
        return error instanceof RuntimeException runtime ? runtime : new RuntimeException(error);
    }
}
