package dev.taskyard.engine.process.internal;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.InvalidConfigException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.schema.Violation;

/**
 * The engine's default and maximal task limits, named like the Docker engine's, immutable.
 *
 * @param defaultCpus CPUs of a task whose payload names none
 * @param maxCpus the most CPUs a payload may ask for
 * @param defaultMemoryMiB memory of a task whose payload names none
 * @param maxMemoryMiB the most memory a payload may ask for
 * @param defaultPids the process limit of a task whose payload names none
 * @param maxPids the highest process limit a payload may ask for
 */
public record LimitsConfig(double defaultCpus, double maxCpus, long defaultMemoryMiB, long maxMemoryMiB,
        int defaultPids, int maxPids)
{
    public LimitsConfig
    {
        if (defaultCpus <= 0 || maxCpus <= 0 || defaultMemoryMiB < 6 || maxMemoryMiB < 6
                || defaultPids < 1 || maxPids < 1) {
            throw new IllegalArgumentException("limits out of range");
        }
    }

    static LimitsConfig defaults()
    {
        return new LimitsConfig(1, Runtime.getRuntime().availableProcessors(), 512, 4096, 512, 4096);
    }

    /**
     * Reads the limits of a config validated against the schema; an unset default is capped by its maximum.
     *
     * @throws InvalidConfigException a default is above its maximum
     */
    static LimitsConfig from(JsonNode config)
            throws InvalidConfigException
    {
        double maxCpus = config.path("maxCpus").asDouble(Runtime.getRuntime().availableProcessors());
        long maxMemory = config.path("maxMemoryMiB").asLong(4096);
        int maxPids = config.path("maxPids").asInt(4096);
        double defaultCpus = config.path("defaultCpus").asDouble(Math.min(1, maxCpus));
        long defaultMemory = config.path("defaultMemoryMiB").asLong(Math.min(512, maxMemory));
        int defaultPids = config.path("defaultPids").asInt(Math.min(512, maxPids));
        List<Violation> violations = new ArrayList<>();
        checkAtMost(violations, "defaultCpus", defaultCpus, "maxCpus", maxCpus);
        checkAtMost(violations, "defaultMemoryMiB", defaultMemory, "maxMemoryMiB", maxMemory);
        checkAtMost(violations, "defaultPids", defaultPids, "maxPids", maxPids);
        if (!violations.isEmpty()) {
            throw new InvalidConfigException("engine \"process\"", violations);
        }
        return new LimitsConfig(defaultCpus, maxCpus, defaultMemory, maxMemory, defaultPids, maxPids);
    }

    /**
     * The limits of one task: the payload's {@code cpus}, {@code memoryMiB} and {@code pids}, else the defaults.
     *
     * @throws MalformedPayloadException a limit is above its maximum (one message per limit)
     */
    TaskLimits forPayload(JsonNode payload)
            throws MalformedPayloadException
    {
        List<String> problems = new ArrayList<>();
        double cpus = limit(payload.path("cpus"), defaultCpus, "cpus", maxCpus, "CPUs", problems);
        double memory = limit(payload.path("memoryMiB"), defaultMemoryMiB, "memoryMiB", maxMemoryMiB, "MiB", problems);
        double pids = limit(payload.path("pids"), defaultPids, "pids", maxPids, "processes", problems);
        if (!problems.isEmpty()) {
            throw new MalformedPayloadException(problems);
        }
        return new TaskLimits(cpus, (long) memory, (int) pids);
    }

    private static double limit(JsonNode node, double fallback, String field, double maximum,
            String unit, List<String> problems)
    {
        if (!node.isNumber()) {
            return fallback;
        }
        double value = node.asDouble();
        if (value > maximum) {
            problems.add(field + " " + format(value) + " is above the maximum of " + format(maximum) + " " + unit
                    + " this worker allows");
        }
        return value;
    }

    private static void checkAtMost(List<Violation> violations, String field, double value,
            String maxField, double maximum)
    {
        if (value > maximum) {
            violations.add(new Violation("$." + field, "maximum", field + " " + format(value) + " is above " + maxField
                    + " " + format(maximum)));
        }
    }

    private static String format(double value)
    {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
