package dev.taskyard.engine.docker.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import dev.taskyard.engine.NonFatalInternalErrorException;

/**
 * Classifies the exceptions of docker-java. A {@link DockerException} is an answer of the daemon (with an HTTP
 * status and the daemon's JSON message); any other runtime exception from a call means the daemon could not be
 * reached or the connection broke.
 */
final class DockerErrors
{
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern STATUS_PREFIX = Pattern.compile("^Status \\d+: (.*)$", Pattern.DOTALL);

    private DockerErrors() {}

    /** The daemon answered 404: no such container, image, volume or path. */
    static boolean isNotFound(Throwable e)
    {
        return e instanceof NotFoundException;
    }

    /** The daemon refused because the container is not running (409), or it was already stopped (304). */
    static boolean isNotRunning(Throwable e)
    {
        return e instanceof NotModifiedException || e instanceof ConflictException
                && reason(e).contains("is not running");
    }

    /** The daemon answered 409 for another reason than a stopped container (e.g. a volume in use). */
    static boolean isConflict(Throwable e)
    {
        return e instanceof ConflictException;
    }

    /** Whether the daemon answered at all; {@code false} when it could not be reached or the connection broke. */
    static boolean isDaemonAnswer(Throwable e)
    {
        return e instanceof DockerException;
    }

    /** The daemon's own explanation (the {@code message} of its JSON answer), or the exception's message. */
    static String reason(Throwable e)
    {
        if (!(e instanceof DockerException)) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String message = root.getMessage();
            return root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        }
        String message = String.valueOf(e.getMessage());
        Matcher matcher = STATUS_PREFIX.matcher(message);
        String body = matcher.matches() ? matcher.group(1).trim() : message;
        try {
            JsonNode json = MAPPER.readTree(body);
            if (json != null && json.path("message").isTextual()) {
                return json.path("message").asText();
            }
        }
        catch (Exception ignored) {
            // not JSON: use the body as it is
        }
        return body;
    }

    /**
     * A non-fatal internal error for a failed call: "the Docker daemon at … does not answer" when it could not be
     * reached, otherwise "the Docker daemon refused to …" with its reason.
     */
    static NonFatalInternalErrorException internal(String socket, String action, RuntimeException e)
    {
        if (!isDaemonAnswer(e)) {
            return new NonFatalInternalErrorException("the Docker daemon at " + socket
                    + " does not answer (" + reason(e)
                    + "); could not " + action + ". Is dockerd running, and may this worker use its socket?", e);
        }
        return new NonFatalInternalErrorException("the Docker daemon at " + socket + " could not "
                + action + ": " + reason(e), e);
    }
}
