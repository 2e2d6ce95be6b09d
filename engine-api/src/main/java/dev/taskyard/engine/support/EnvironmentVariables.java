package dev.taskyard.engine.support;

import java.util.regex.Pattern;

import dev.taskyard.engine.MalformedPayloadException;

/** The environment variable naming rule shared by the built-in engines. */
public final class EnvironmentVariables
{
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvironmentVariables() {}

    /**
     * Accepts POSIX-portable names: a letter or underscore, then letters, digits and underscores.
     *
     * @throws MalformedPayloadException with an explanation otherwise
     */
    public static void validateName(String name)
            throws MalformedPayloadException
    {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new MalformedPayloadException("invalid environment variable name \"" + name
                    + "\": names must start with a letter or underscore and contain only letters, digits and "
                            + "underscores");
        }
    }

    /** Rejects values containing NUL, which no process environment can carry. */
    public static void validateValue(String name, String value)
            throws MalformedPayloadException
    {
        if (value == null || value.indexOf('\0') >= 0) {
            throw new MalformedPayloadException("invalid value for environment variable " + name
                    + ": it must not be null or contain NUL");
        }
    }
}
