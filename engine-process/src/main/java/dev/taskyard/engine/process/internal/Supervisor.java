package dev.taskyard.engine.process.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.process.ProcessEngineProvider;

/**
 * The tiny supervisor of a recoverable task: {@code /bin/sh} as the leader of the task's session (started by
 * {@code setsid}), which detaches its own streams from the JVM, runs the command with stdout and stderr appended to
 * {@code <state>/output} and stdin from {@code /dev/null}, then records the command's exit status in
 * {@code <state>/exit} (written to a temporary name and renamed, so a reader sees it whole or not at all) and
 * exits with it. Nothing of it depends on the JVM, so the task and its record survive the JVM's death. A supervisor
 * killed by SIGKILL (a kill of the session) leaves no exit file.
 *
 * <p>The handle of such a task names its session (the leader's pid and start time, which guard against pid reuse),
 * its work dir and its state folder.
 */
final class Supervisor
{
    static final String OUTPUT = "output";
    static final String EXIT = "exit";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String SCRIPT = """
            state=$1; shift
            exec >/dev/null 2>&1 </dev/null
            "$@" >>"$state/output" 2>&1 </dev/null
            code=$?
            printf '%s\\n' "$code" >"$state/exit.tmp" && mv "$state/exit.tmp" "$state/exit"
            exit "$code"
            """;

    private Supervisor()
    {
    }

    /** The argv that runs {@code command} under the supervisor with state folder {@code state}. */
    static List<String> argv(Path state, List<String> command)
    {
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "taskyard-supervisor", state.toString()));
        argv.addAll(command);
        return argv;
    }

    static Path output(Path state)
    {
        return state.resolve(OUTPUT);
    }

    /** The recorded exit status, if the supervisor recorded one. */
    static OptionalInt exitStatus(Path state)
            throws IOException
    {
        try {
            String text = Files.readString(state.resolve(EXIT), StandardCharsets.UTF_8).trim();
            return text.matches("[0-9]{1,3}") ? OptionalInt.of(Integer.parseInt(text)) : OptionalInt.empty();
        }
        catch (NoSuchFileException e) {
            return OptionalInt.empty();
        }
    }

    static SandboxHandle handle(long session, Path workDir, Path state)
    {
        ObjectNode data = MAPPER.createObjectNode();
        data.put("session", session);
        data.put("start", ProcSessions.startTime(session));
        data.put("workDir", workDir.toString());
        data.put("state", state.toString());
        return new SandboxHandle(ProcessEngineProvider.NAME, data.toString());
    }

    /** What a handle says. */
    record Parsed(long session, long start, Path workDir, Path state) {}

    /**
     * Reads a handle made by {@link #handle}; its folders must be under {@code root} and {@code recoveryRoot}.
     *
     * @throws MalformedPayloadException the handle is another engine's, unreadable, or names folders elsewhere
     */
    static Parsed parse(SandboxHandle handle, Path root, Path recoveryRoot)
            throws MalformedPayloadException
    {
        if (!handle.engine().equals(ProcessEngineProvider.NAME)) {
            throw new MalformedPayloadException("the handle is of the engine \"" + handle.engine()
                    + "\", not of the process engine");
        }
        JsonNode data;
        try {
            data = MAPPER.readTree(handle.data());
        }
        catch (IOException e) {
            throw new MalformedPayloadException(List.of("the process engine's sandbox handle is not JSON: "
                    + e.getMessage()), e);
        }
        if (data == null || !data.path("session").canConvertToLong() || data.path("session").asLong() <= 0
                || !data.path("start").isIntegralNumber()
                || !data.path("workDir").isTextual() || !data.path("state").isTextual()) {
            throw new MalformedPayloadException("the process engine's sandbox handle lacks session, start, workDir "
                    + "or state: " + handle.data());
        }
        Path workDir = Path.of(data.path("workDir").asText()).normalize();
        Path state = Path.of(data.path("state").asText()).normalize();
        if (!workDir.isAbsolute() || !root.equals(workDir.getParent()) || !state.isAbsolute()
                || !recoveryRoot.equals(state.getParent())) {
            throw new MalformedPayloadException("the sandbox handle names folders outside this engine's root " + root
                    + ": " + handle.data());
        }
        return new Parsed(data.path("session").asLong(), data.path("start").asLong(), workDir, state);
    }
}
