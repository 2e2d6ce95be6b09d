package dev.taskyard.engine;

import java.util.List;

import dev.taskyard.engine.schema.Violation;

import static java.util.Objects.requireNonNull;

/**
 * A component's configuration does not match its declared JSON Schema. Carries every violation with its JSON
 * path; nothing was created.
 */
public class InvalidConfigException extends EngineException
{
    private final String component;
    private final List<Violation> violations;

    public InvalidConfigException(String component, List<Violation> violations)
    {
        super(ErrorCode.INVALID_CONFIG, render(component, violations));
        this.component = component;
        this.violations = List.copyOf(violations);
    }

    /** The name of the component whose configuration is invalid, e.g. {@code engine "process"}. */
    public String component()
    {
        return component;
    }

    /** Every violation found, never empty. */
    public List<Violation> violations()
    {
        return violations;
    }

    private static String render(String component, List<Violation> violations)
    {
        requireNonNull(component, "component is null");
        requireNonNull(violations, "violations is null");
        StringBuilder out = new StringBuilder("invalid config for ").append(component).append(':');
        for (Violation violation : violations) {
            out.append("\n  ").append(violation);
        }
        return out.toString();
    }
}
