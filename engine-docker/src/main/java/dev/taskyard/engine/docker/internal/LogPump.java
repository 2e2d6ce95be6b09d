package dev.taskyard.engine.docker.internal;

import com.github.dockerjava.api.model.Frame;
import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * Copies a container's output (stdout and stderr, merged in arrival order, byte for byte) into the task log, after
 * skipping its first bytes if asked to. A new container's pump is attached before the container starts, so nothing is
 * lost; a recovered container's pump follows the daemon's log of it from the start and skips what the caller already
 * stored. It ends when the container's streams close. Bytes arriving after the owner closed the task log are dropped.
 *
 * <p>Thread-safe; docker-java calls it from its stream thread.
 */
final class LogPump
        extends StreamCallback<Frame>
{
    private final TaskLog log;
    private long skip;

    LogPump(TaskLog log)
    {
        this(log, 0);
    }

    /**
     * @param skip how many bytes of the output to drop before copying the rest
     */
    LogPump(TaskLog log, long skip)
    {
        this.log = requireNonNull(log, "log is null");
        if (skip < 0) {
            throw new IllegalArgumentException("skip is negative: " + skip);
        }
        this.skip = skip;
    }

    @Override
    public void onNext(Frame frame)
    {
        byte[] payload = frame.getPayload();
        if (payload == null || payload.length == 0) {
            return;
        }
        int from;
        synchronized (this) {
            from = (int) Math.min(skip, payload.length);
            skip -= from;
        }
        if (from < payload.length) {
            log.write(payload, from, payload.length - from); // dropped once the worker closed the log
        }
    }
}
