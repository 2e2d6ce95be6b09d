package dev.taskyard.engine.process.internal;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.MalformedPayloadException;

import static java.util.Objects.requireNonNull;

/**
 * What a task asks the process engine to run (see {@code payload.schema.json}), immutable.
 *
 * @param command the argv, never empty
 * @param workingFolder the normalized folder to run in, relative to the work dir ({@code ""} for the work dir)
 * @param limits the task's cgroup limits (applied when the engine uses cgroups)
 */
record TaskPayload(List<String> command, String workingFolder, TaskLimits limits)
{
    TaskPayload
    {
        command = List.copyOf(command);
        requireNonNull(workingFolder, "workingFolder is null");
        requireNonNull(limits, "limits is null");
    }

    /**
     * Parses a payload. The schema has been checked by the host, but everything the engine relies on is checked
     * again and every problem is reported at once, limits above the configured maxima included.
     *
     * @throws MalformedPayloadException with one message per problem
     */
    static TaskPayload parse(ObjectNode payload, LimitsConfig limitsConfig)
            throws MalformedPayloadException
    {
        List<String> problems = new ArrayList<>();
        List<String> command = new ArrayList<>();
        JsonNode commandNode = payload.path("command");
        if (!commandNode.isArray() || commandNode.isEmpty()) {
            problems.add("command must be a non-empty array of strings");
        }
        else {
            for (int i = 0; i < commandNode.size(); i++) {
                JsonNode argument = commandNode.get(i);
                if (!argument.isTextual()) {
                    problems.add("command[" + i + "] is not a string");
                }
                else if (argument.asText().indexOf('\0') >= 0) {
                    problems.add("command[" + i + "] contains a NUL character");
                }
                else {
                    command.add(argument.asText());
                }
            }
            if (problems.isEmpty() && command.get(0).isEmpty()) {
                problems.add("command[0] is empty");
            }
        }
        String workingFolder = "";
        JsonNode folderNode = payload.get("workingFolder");
        if (folderNode != null) {
            if (!folderNode.isTextual()) {
                problems.add("workingFolder is not a string");
            }
            else {
                try {
                    workingFolder = WorkDir.normalize(folderNode.asText(), "workingFolder");
                }
                catch (MalformedPayloadException e) {
                    problems.addAll(e.messages());
                }
            }
        }
        TaskLimits limits = null;
        try {
            limits = limitsConfig.forPayload(payload);
        }
        catch (MalformedPayloadException e) {
            problems.addAll(e.messages());
        }
        if (!problems.isEmpty()) {
            throw new MalformedPayloadException(problems);
        }
        return new TaskPayload(command, workingFolder, limits);
    }
}
