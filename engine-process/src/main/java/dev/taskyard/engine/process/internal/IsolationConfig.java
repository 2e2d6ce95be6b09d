package dev.taskyard.engine.process.internal;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * The isolation part of the process engine's config (see {@code config.schema.json}), immutable.
 *
 * @param runAs whose user tasks run as
 * @param user the existing account for {@link RunAs#USER}
 * @param firstUid the first uid of fresh task accounts
 * @param uidCount how many uids fresh task accounts may use
 * @param cgroups whether tasks get cgroups
 * @param limits the default and maximal limits of a task
 * @param bubblewrap whether tasks run in bubblewrap
 * @param allowNetwork whether bubblewrapped tasks keep the host's network
 */
public record IsolationConfig(RunAs runAs, Optional<String> user, long firstUid, int uidCount, Mode cgroups,
        LimitsConfig limits, Mode bubblewrap, boolean allowNetwork)
{
    /** Whose user tasks run as. */
    public enum RunAs
    {
        SERVER, USER, FRESH, AUTO
    }

    /**
     * Whether a protection is used: never, when available (logged otherwise), or always (the engine fails without it).
     */
    public enum Mode
    {
        OFF, AUTO, REQUIRED
    }

    public static final long DEFAULT_FIRST_UID = 700_000_000L;
    public static final int DEFAULT_UID_COUNT = 100_000;

    public IsolationConfig
    {
        requireNonNull(runAs, "runAs is null");
        requireNonNull(user, "user is null");
        requireNonNull(cgroups, "cgroups is null");
        requireNonNull(limits, "limits is null");
        requireNonNull(bubblewrap, "bubblewrap is null");
        if (runAs == RunAs.USER && user.isEmpty()) {
            throw new IllegalArgumentException("runAs user needs a user");
        }
    }

    /** No isolation: the engine's defaults. */
    public static IsolationConfig none()
    {
        return new IsolationConfig(RunAs.SERVER, Optional.empty(), DEFAULT_FIRST_UID, DEFAULT_UID_COUNT, Mode.OFF,
                LimitsConfig.defaults(), Mode.OFF, false);
    }

    /** Reads the isolation keys of a config validated against the schema. */
    static IsolationConfig from(JsonNode config)
            throws InvalidConfigException
    {
        JsonNode user = config.path("user");
        if (config.path("runAs").asText("").equals("user") && !user.isTextual()) {
            throw new InvalidConfigException("engine \"process\"",
                    List.of(new Violation("$.user", "required", "runAs is user, but no user is named")));
        }
        JsonNode range = config.path("uidRange");
        return new IsolationConfig(
                RunAs.valueOf(config.path("runAs").asText("server").toUpperCase(Locale.ROOT)),
                user.isTextual() ? Optional.of(user.asText()) : Optional.empty(),
                range.path("first").asLong(DEFAULT_FIRST_UID),
                range.path("count").asInt(DEFAULT_UID_COUNT),
                mode(config.path("cgroups").asText("off")),
                LimitsConfig.from(config),
                mode(config.path("bubblewrap").asText("off")),
                config.path("allowNetwork").asBoolean(false));
    }

    private static Mode mode(String text)
    {
        return switch (text) {
            case "on", "auto" -> Mode.AUTO;
            case "required" -> Mode.REQUIRED;
            default -> Mode.OFF;
        };
    }
}
