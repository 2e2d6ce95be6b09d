package dev.taskyard.server.internal.http;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * An RFC 9457 problem the API answers with ({@code application/problem+json}); thrown by handlers and written by
 * {@link Exchange#sendProblem}.
 *
 * @param errors for validation problems: each violation with its JSON path
 * @param headers extra response headers, e.g. {@code Allow}, {@code Retry-After}, {@code WWW-Authenticate}
 */
public final class ApiProblem
        extends RuntimeException
{
    /** One violation of a request, with the JSON path it concerns. */
    public record FieldError(String path, String message)
    {
        public FieldError
        {
            requireNonNull(path, "path is null");
            requireNonNull(message, "message is null");
        }
    }

    private final int status;
    private final String type;
    private final String title;
    private final List<FieldError> errors;
    private final Map<String, String> headers;

    public ApiProblem(int status, String type, String title, String detail, List<FieldError> errors,
            Map<String, String> headers)
    {
        super(requireNonNull(detail, "detail is null"));
        this.status = status;
        this.type = requireNonNull(type, "type is null");
        this.title = requireNonNull(title, "title is null");
        this.errors = List.copyOf(errors);
        this.headers = Map.copyOf(headers);
    }

    public static ApiProblem of(int status, String type, String title, String detail)
    {
        return new ApiProblem(status, type, title, detail, List.of(), Map.of());
    }

    public static ApiProblem notFound(String detail)
    {
        return of(404, "not-found", "Not Found", detail);
    }

    public static ApiProblem badRequest(String type, String detail)
    {
        return of(400, type, "Bad Request", detail);
    }

    /** A copy with one more response header. */
    public ApiProblem withHeader(String name, String value)
    {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiProblem(status, type, title, getMessage(), errors, more);
    }

    public int status()
    {
        return status;
    }

    /** The problem type: a short code, published as {@code https://taskyard.dev/problems/<type>}. */
    public String type()
    {
        return type;
    }

    public String title()
    {
        return title;
    }

    public String detail()
    {
        return getMessage();
    }

    public List<FieldError> errors()
    {
        return errors;
    }

    public Map<String, String> headers()
    {
        return headers;
    }
}
