package dev.taskyard.plugin.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.plugin.Artifact;
import dev.taskyard.plugin.ArtifactStore;
import dev.taskyard.plugin.ExceptionReason;

/**
 * What {@link PluginHarness} observed in one run.
 *
 * @param exception present when the run ended as an exception
 * @param error the message of the error that ended the run, if any
 * @param engineSuccess the result set's {@code success()}, if the task ran
 * @param pluginSuccess what the plugin's {@code stopped} returned, if it ran
 * @param hooks the stages that ran, in order, e.g. {@code build}, {@code exception:malformed-payload}
 * @param log the whole task log
 * @param artifacts the run's artifacts in the store
 * @param progress every progress value published, in order
 * @param result the result document published, if any
 * @param stopRequests every request to stop the worker, e.g. {@code now: watchdog: …}
 * @param store where the run's artifacts are
 * @param folder the harness's temporary folder (engine files, spilled log, artifact store); owned by this run and
 *        deleted by {@link #close()}
 *
 * <p>Close it when done (try-with-resources): artifacts cannot be read afterwards. Closing is idempotent.
 */
public record PluginRun(Optional<ExceptionReason> exception, Optional<String> error, Optional<Boolean> engineSuccess,
        Optional<Boolean> pluginSuccess,
                        List<String> hooks, String log, List<Artifact> artifacts, List<Integer> progress,
                                Optional<JsonNode> result,
                        List<String> stopRequests, ArtifactStore store, String taskId, String runId, Path folder)
        implements AutoCloseable
{
    /**
     * Deletes the run's temporary folder with its artifacts.
     *
     * @throws UncheckedIOException the folder could not be deleted
     */
    @Override
    public void close()
    {
        PluginHarness.deleteTree(folder);
    }

    /** The content of a stored artifact, as UTF-8 text. */
    public String artifactText(String name)
    {
        try (InputStream in = store.open(taskId, runId, name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read artifact " + name, e);
        }
    }
}
