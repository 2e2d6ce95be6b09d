package dev.taskyard.plugin.builtin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.HandlerInterruptedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.ResourceNotFoundException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.internal.Incidents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code artifacts}: after the task ran, extracts the files and folders its payload declares
 * ({@code artifacts: [{type: file|folder, path, name}]}) into the worker's {@link ArtifactStore}. A file or folder
 * the task did not produce becomes an error artifact ({@code file-missing-on-worker}) and the task fails; a path the
 * engine refuses, a name declared twice, or an engine without artifact support is a malformed payload; a failing
 * store is a non-fatal internal error.
 */
public final class ArtifactsPluginProvider
        implements PluginProvider
{
    private static final Logger LOG = LoggerFactory.getLogger(ArtifactsPluginProvider.class);
    private static final JsonSchema PAYLOAD = Schemas.resource("artifacts.payload.schema.json");

    @Override
    public String name()
    {
        return "artifacts";
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        ArtifactStore store = options.environment().artifacts();
        return new Plugin()
        {
            @Override
            public JsonSchema payloadSchema()
            {
                return PAYLOAD;
            }

            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
                    throws EngineException
            {
                JsonNode declared = task.payload().path("artifacts");
                if (declared.isEmpty()) {
                    return TaskPlugin.NONE;
                }
                List<Declared> artifacts = new ArrayList<>();
                Set<String> names = new HashSet<>();
                for (int i = 0; i < declared.size(); i++) {
                    JsonNode item = declared.get(i);
                    String name = item.path("name").asText();
                    if (!names.add(name)) {
                        throw new MalformedPayloadException("$.artifacts[" + i + "].name: the artifact name \"" + name
                                + "\" is declared twice");
                    }
                    artifacts.add(new Declared(i, item.path("type").asText().equals("folder"),
                            item.path("path").asText(), name));
                }
                return new Extractor(store, List.copyOf(artifacts));
            }
        };
    }

    private record Declared(int index, boolean folder, String path, String name) {}

    /** Extracts the declared artifacts of one task in its {@code stopped} hook. */
    private static final class Extractor
            implements TaskPlugin
    {
        private final ArtifactStore store;
        private final List<Declared> artifacts;

        Extractor(ArtifactStore store, List<Declared> artifacts)
        {
            this.store = store;
            this.artifacts = artifacts;
        }

        @Override
        public boolean stopped(StoppedRequest request)
                throws EngineException
        {
            boolean success = true;
            List<String> malformed = new ArrayList<>();
            for (Declared artifact : artifacts) {
                try {
                    extract(request.result(), request.context(), artifact);
                }
                catch (ResourceNotFoundException e) {
                    success = false;
                    String what = (artifact.folder() ? "folder " : "file ") + artifact.path();
                    Incidents.writeTaskLog(request.context(), "[taskyard] artifacts: the task did not produce the "
                            + what + " declared as \"" + artifact.name() + "\"");
                    storeError(request.context(), artifact, "file-missing-on-worker",
                            "the task did not produce the " + what);
                }
                catch (MalformedPayloadException e) {
                    malformed.add("$.artifacts[" + artifact.index() + "].path: " + e.getMessage());
                }
                catch (FeatureNotSupportedException e) {
                    malformed.add("$.artifacts: this worker's engine cannot extract artifacts");
                    break;
                }
            }
            if (!malformed.isEmpty()) {
                throw new MalformedPayloadException(malformed);
            }
            return success;
        }

        private void extract(ResultSet result, TaskContext context, Declared artifact)
                throws EngineException
        {
            if (!artifact.folder()) {
                try (InputStream content = result.extractFile(artifact.path())) {
                    store.put(context.taskId(), context.runId(), artifact.name(), content);
                }
                catch (IOException e) {
                    throw storeFailed(context, artifact.name(), e);
                }
                return;
            }
            try {
                result.extractFolder(artifact.path(),
                        (relative, content) ->
                        store.put(context.taskId(), context.runId(), artifact.name() + "/" + relative, content));
            }
            catch (HandlerInterruptedException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                throw storeFailed(context, artifact.name(), cause);
            }
        }

        private EngineException storeFailed(TaskContext context, String name, Throwable cause)
        {
            if (cause instanceof FileAlreadyExistsException) {
                return new MalformedPayloadException("$.artifacts: the artifact \"" + cause.getMessage()
                        + "\" is produced twice (by \"" + name + "\")");
            }
            String incident = Incidents.report(context, "storing the artifact \"" + name + "\" failed", cause);
            return new NonFatalInternalErrorException("storing the artifact \"" + name + "\" failed (incident id "
                    + incident + ")", cause);
        }

        private void storeError(TaskContext context, Declared artifact, String reason, String message)
                throws EngineException
        {
            try {
                store.putError(context.taskId(), context.runId(), artifact.name(),
                        new Artifact.ArtifactError(reason, message));
            }
            catch (IOException e) {
                LOG.warn("cannot store the error artifact {} of {}", artifact.name(), context, e);
                throw storeFailed(context, artifact.name(), e);
            }
        }
    }
}
