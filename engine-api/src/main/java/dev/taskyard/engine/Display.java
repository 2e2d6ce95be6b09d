package dev.taskyard.engine;

import static java.util.Objects.requireNonNull;

/**
 * A display of a sandbox, reachable with {@link Sandbox#openDisplay(String)}.
 *
 * @param width in pixels, {@code 0} if unknown
 * @param height in pixels, {@code 0} if unknown
 */
public record Display(String name, String description, int width, int height)
{
    public Display
    {
        requireNonNull(name, "name is null");
        requireNonNull(description, "description is null");
    }
}
