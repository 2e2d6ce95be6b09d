package dev.taskyard.engine.schema;

import static java.util.Objects.requireNonNull;

/**
 * One way in which a JSON document fails its schema.
 *
 * @param path where in the document, as a JSONPath such as {@code $.command[0]} ({@code $} is the root)
 * @param keyword the schema keyword that failed, such as {@code required} or {@code type}
 * @param message a human-readable explanation, without the path
 */
public record Violation(String path, String keyword, String message)
{
    public Violation
    {
        requireNonNull(path, "path is null");
        requireNonNull(keyword, "keyword is null");
        requireNonNull(message, "message is null");
    }

    /**
     * This violation of a section, seen from the whole document: {@code $.x} of the section at {@code $.server}
     * becomes {@code $.server.x}, and the message is prefixed with the component, e.g. {@code server: …}.
     */
    public Violation at(String sectionPath, String component)
    {
        requireNonNull(sectionPath, "sectionPath is null");
        requireNonNull(component, "component is null");
        return new Violation(sectionPath + path.substring(1), keyword, component + ": " + message);
    }

    /** Renders as {@code $.path: message}. */
    @Override
    public String toString()
    {
        return path + ": " + message;
    }
}
