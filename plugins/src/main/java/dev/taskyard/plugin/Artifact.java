package dev.taskyard.plugin;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One artifact of a task run in an {@link ArtifactStore}.
 *
 * @param name slash-separated, relative, e.g. {@code public/logs/task.log}
 * @param size bytes of content; {@code 0} for an error artifact
 * @param error present for an error artifact: a file the task declared could not be produced
 */
public record Artifact(String name, long size, Optional<ArtifactError> error)
{
    public Artifact
    {
        requireNonNull(name, "name is null");
        requireNonNull(error, "error is null");
    }

    public boolean isError()
    {
        return error.isPresent();
    }

    /**
     * Why an artifact is missing.
     *
     * @param reason a stable, dash-separated code, e.g. {@code file-missing-on-worker}
     * @param message a human-readable explanation
     */
    public record ArtifactError(String reason, String message)
    {
        public ArtifactError
        {
            requireNonNull(reason, "reason is null");
            requireNonNull(message, "message is null");
        }
    }
}
