package dev.taskyard.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * The server answered with an error: an RFC 9457 problem ({@code application/problem+json}), or any other non-2xx
 * answer read as one ({@code about:blank}, the body's start as detail). Subclasses name the common cases; the message
 * is {@code "<status> <title>: <detail>"}.
 */
public class ProblemException
        extends TaskyardException
{
    /** One violation of a request, with the JSON path it concerns ({@code errors} of a 400 problem). */
    public record FieldError(String path, String message)
    {
        public FieldError
        {
            requireNonNull(path, "path is null");
            requireNonNull(message, "message is null");
        }
    }

    /** The decoded problem. */
    public record Problem(int status, String type, String title, String detail, Optional<String> instance,
            List<FieldError> errors, Map<String, JsonNode> extensions, Optional<Duration> retryAfter)
    {
        public Problem
        {
            requireNonNull(type, "type is null");
            requireNonNull(title, "title is null");
            requireNonNull(detail, "detail is null");
            requireNonNull(instance, "instance is null");
            errors = List.copyOf(requireNonNull(errors, "errors is null"));
            extensions = Map.copyOf(requireNonNull(extensions, "extensions is null"));
            requireNonNull(retryAfter, "retryAfter is null");
        }
    }

    private final Problem problem;

    public ProblemException(Problem problem)
    {
        super(problem.status() + " " + problem.title() + (problem.detail().isEmpty() ? "" : ": " + problem.detail()));
        this.problem = problem;
    }

    public Problem problem()
    {
        return problem;
    }

    /** The HTTP status. */
    public int status()
    {
        return problem.status();
    }

    /** The problem type URI ({@code about:blank} when the answer was no problem document). */
    public String type()
    {
        return problem.type();
    }

    public String title()
    {
        return problem.title();
    }

    public String detail()
    {
        return problem.detail();
    }

    /** The server's {@code Retry-After}, as a delay from when the answer was read. */
    public Optional<Duration> retryAfter()
    {
        return problem.retryAfter();
    }

    /** The violations of a 400 problem; possibly empty. */
    public List<FieldError> errors()
    {
        return problem.errors();
    }
}
