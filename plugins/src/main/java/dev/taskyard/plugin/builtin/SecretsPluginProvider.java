package dev.taskyard.plugin.builtin;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NamingConflictException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.BuildSandboxRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code secrets}: sets the configured secret {@code variables} as environment variables of every task (build stage)
 * and has the worker mask every occurrence of their values in every task log, live and stored, as {@code ***}
 * ({@link Plugin#secrets()}), also when a value is split across writes, like GitLab's masked variables and GitHub
 * Actions' secret masking. Encodings of a value (base64, URL encoding) are not masked. A value shorter than 8
 * characters is masked too, with a warning at start-up. A variable another component already set is a malformed
 * payload; an engine without environment variables stops the worker at the first task (the secrets could not be
 * delivered).
 */
public final class SecretsPluginProvider
        implements PluginProvider
{
    private static final Logger LOG = LoggerFactory.getLogger(SecretsPluginProvider.class);
    private static final JsonSchema CONFIG = Schemas.resource("secrets.config.schema.json");
    private static final int SHORT = 8;

    @Override
    public String name()
    {
        return "secrets";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        Map<String, String> variables = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = options.config().path("variables").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            variables.put(entry.getKey(), entry.getValue().asText());
            if (entry.getValue().asText().length() < SHORT) {
                LOG.warn("secrets: the value of {} is shorter than {} characters; it is masked, but masking it also "
                        + "hides ordinary text that equals it", entry.getKey(), SHORT);
            }
        }
        Set<String> values = Set.copyOf(new LinkedHashSet<>(variables.values()));
        return new Plugin()
        {
            @Override
            public Set<String> secrets()
            {
                return values;
            }

            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                return new TaskPlugin()
                {
                    @Override
                    public void buildSandbox(BuildSandboxRequest request)
                            throws EngineException
                    {
                        for (Map.Entry<String, String> variable : variables.entrySet()) {
                            try {
                                request.builder().setEnvironmentVariable(variable.getKey(), variable.getValue());
                            }
                            catch (NamingConflictException e) {
                                throw new MalformedPayloadException("the secret environment variable "
                                        + variable.getKey() + " is also set by another component");
                            }
                            catch (FeatureNotSupportedException e) {
                                throw new FatalInternalErrorException("the secrets plugin needs an engine with "
                                        + "environment variables", e);
                            }
                        }
                    }
                };
            }
        };
    }
}
