package dev.taskyard.engine.docker.internal;

import com.github.dockerjava.api.model.Frame;
import dev.taskyard.engine.TaskLog;

import static java.util.Objects.requireNonNull;

/**
 * Copies a container's attached output (stdout and stderr, merged in arrival order, byte for byte) into the task
 * log. Attached before the container starts, so nothing is lost; it ends when the container's streams close. Bytes
 * arriving after the owner closed the task log are dropped.
 *
 * <p>Thread-safe; docker-java calls it from its stream thread.
 */
final class LogPump
        extends StreamCallback<Frame>
{
    private final TaskLog log;

    LogPump(TaskLog log)
    {
        this.log = requireNonNull(log, "log is null");
    }

    @Override
    public void onNext(Frame frame)
    {
        byte[] payload = frame.getPayload();
        if (payload == null || payload.length == 0) {
            return;
        }
        log.write(payload, 0, payload.length); // dropped once the worker closed the log
    }
}
