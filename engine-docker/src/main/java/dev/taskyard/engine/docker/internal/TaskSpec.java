package dev.taskyard.engine.docker.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.MalformedPayloadException;

import static java.util.Objects.requireNonNull;

/**
 * The parsed payload of one task, with the engine's defaults applied and its maxima checked. Immutable.
 *
 * @param image the image to run
 * @param command the argv
 * @param workdir the working directory, when the payload names one
 * @param user the user (and group), when the payload names one
 * @param limits the limits the container gets
 * @param privileged whether the container runs privileged
 */
public record TaskSpec(ImageReference image, List<String> command, Optional<String> workdir,
        Optional<String> user, ResourceLimits limits, boolean privileged)
{
    public TaskSpec
    {
        requireNonNull(image, "image is null");
        command = List.copyOf(command);
        requireNonNull(workdir, "workdir is null");
        requireNonNull(user, "user is null");
        requireNonNull(limits, "limits is null");
    }

    /**
     * Reads a payload that already passed the payload schema.
     *
     * @throws MalformedPayloadException a limit is above the configured maximum (the message names the field and the
     *         maximum), privileges are asked for where the config forbids them, or the image reference cannot be split;
     *         every problem found is listed
     */
    public static TaskSpec parse(ObjectNode payload, DockerConfig config)
            throws MalformedPayloadException
    {
        requireNonNull(payload, "payload is null");
        requireNonNull(config, "config is null");
        List<String> problems = new ArrayList<>();
        ImageReference image = null;
        try {
            image = ImageReference.parse(payload.path("image").asText());
        }
        catch (MalformedPayloadException e) {
            problems.addAll(e.messages());
        }
        List<String> command = new ArrayList<>();
        payload.path("command").forEach(node -> command.add(node.asText()));

        ResourceLimits defaults = config.defaults();
        ResourceLimits maxima = config.maxima();
        double cpus = limit(payload.path("cpus"), defaults.cpus(), "cpus", maxima.cpus(), "CPUs", problems);
        double memory = limit(payload.path("memoryMiB"), defaults.memoryMiB(), "memoryMiB",
                maxima.memoryMiB(), "MiB", problems);
        double pids = limit(payload.path("pids"), defaults.pids(), "pids", maxima.pids(), "processes", problems);

        boolean privileged = payload.path("privileged").asBoolean(false);
        if (privileged && !config.allowPrivileged()) {
            problems.add("privileged is true, but this worker's privileged policy is \"never\"");
        }
        if (!problems.isEmpty()) {
            throw new MalformedPayloadException(problems);
        }
        return new TaskSpec(image, command, text(payload.path("workdir")), text(payload.path("user")),
                new ResourceLimits(cpus, (long) memory, (long) pids), privileged);
    }

    private static double limit(JsonNode node, double fallback, String field, double maximum,
            String unit, List<String> problems)
    {
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        double value = node.asDouble();
        if (value > maximum) {
            problems.add(field + " " + DockerConfig.format(value) + " is above the maximum of "
                    + DockerConfig.format(maximum) + " " + unit + " this worker allows");
        }
        return value;
    }

    private static Optional<String> text(JsonNode node)
    {
        return node.isTextual() ? Optional.of(node.asText()) : Optional.empty();
    }
}
