package dev.taskyard.client;

import java.util.Optional;
import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * An artifact of a task's latest run.
 *
 * @param name the artifact's name (may contain {@code /})
 * @param size its size in bytes, when known
 * @param error why the artifact could not be stored; such an artifact cannot be downloaded
 */
public record Artifact(String name, OptionalLong size, Optional<Error> error)
{
    /** Why an artifact is missing. */
    public record Error(String reason, String message)
    {
        public Error
        {
            requireNonNull(reason, "reason is null");
            requireNonNull(message, "message is null");
        }
    }

    public Artifact
    {
        requireNonNull(name, "name is null");
        requireNonNull(size, "size is null");
        requireNonNull(error, "error is null");
    }
}
