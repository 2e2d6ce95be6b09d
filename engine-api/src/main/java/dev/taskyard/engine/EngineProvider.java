package dev.taskyard.engine;

import dev.taskyard.engine.schema.JsonSchema;

/**
 * Creates engines of one kind. Providers are found with {@link java.util.ServiceLoader}: list the class in
 * {@code META-INF/services/dev.taskyard.engine.EngineProvider} for the class path and in a
 * {@code provides dev.taskyard.engine.EngineProvider with …} clause for the module path. {@link EngineRegistry}
 * does the discovery.
 *
 * <p>Implementations must be stateless and thread-safe, with a public no-argument constructor. The rules (the
 * contract kit names each by the id in brackets):
 * <ol>
 * <li>The name matches {@code [a-z][a-z0-9-]*} ({@link EngineRegistry#register} refuses others).</li>
 * <li>[config-schema] {@link #configSchema()} refuses every config the engine cannot use, each problem reported
 *     as a {@link dev.taskyard.engine.schema.Violation} with the JSON path of the offending value; unknown keys and
 *     non-objects are refused too.</li>
 * <li>[provider-reentrant] {@link #createEngine} may be called many times, also from several threads at once;
 *     every call returns a new, independent engine (disposing one leaves the others working).</li>
 * </ol>
 */
public interface EngineProvider
{
    /** The engine's unique name, e.g. {@code process}: lower case, {@code [a-z][a-z0-9-]*}. */
    String name();

    /**
     * The JSON Schema (draft 2020-12) the engine's config must satisfy. The host validates every config against it
     * before {@link #createEngine(EngineOptions)} is called. Defaults to an object with no properties.
     */
    default JsonSchema configSchema()
    {
        return JsonSchema.emptyObject();
    }

    /**
     * Creates an engine. Called with a config that has already been validated against {@link #configSchema()};
     * usually once per process, but implementations should be re-entrant so tests can create many engines.
     *
     * @throws EngineException any error is fatal for the worker: the engine could not be set up
     */
    Engine createEngine(EngineOptions options)
            throws EngineException;

    /** The provider's version; defaults to the {@code Implementation-Version} of its jar, or {@code DEVELOPMENT}. */
    default String version()
    {
        String version = getClass().getPackage().getImplementationVersion();
        return version == null ? "DEVELOPMENT" : version;
    }
}
