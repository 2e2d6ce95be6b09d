package dev.taskyard.worker.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.FatalInternalErrorException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.NonFatalInternalErrorException;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.BuildSandboxRequest;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;

/**
 * A plugin that records every hook call of every task, and fails or blocks where its payload key
 * {@code recorder: {"fail": hook, "error": malformed|nonfatal|fatal|runtime, "blockIn": hook}} says. Its
 * {@code stopped} returns the result set's success. Tests read {@link #calls()} and wait on {@link #started()}.
 */
public class RecordingPlugin
        implements PluginProvider, Plugin
{
    private static final JsonSchema PAYLOAD = JsonSchema.parse("""
            {"type":"object","properties":{"recorder":{"type":"object","properties":{
              "fail":{"enum":["create","build","started","stopped","finished"]},
              "error":{"enum":["malformed","nonfatal","fatal","runtime"]},
              "blockIn":{"enum":["build","started"]}},"additionalProperties":false}}}""");

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch blocked = new CountDownLatch(1);

    @Override
    public String name()
    {
        return "recorder";
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        return this;
    }

    @Override
    public JsonSchema payloadSchema()
    {
        return PAYLOAD;
    }

    /** Every hook call so far, e.g. {@code build}, {@code exception:canceled}. */
    public List<String> calls()
    {
        return List.copyOf(calls);
    }

    /** Counted down when the {@code started} hook runs. */
    public CountDownLatch started()
    {
        return started;
    }

    /** Counted down when a hook starts blocking (see {@code blockIn}). */
    public CountDownLatch blocked()
    {
        return blocked;
    }

    @Override
    public TaskPlugin newTaskPlugin(TaskPluginOptions options)
            throws EngineException
    {
        JsonNode spec = options.payload().path("recorder");
        String fail = spec.path("fail").asText();
        String error = spec.path("error").asText("malformed");
        String blockIn = spec.path("blockIn").asText();
        calls.add("create");
        if (fail.equals("create")) {
            throw error(error, "create");
        }
        return new TaskPlugin()
        {
            @Override
            public void buildSandbox(BuildSandboxRequest request)
                    throws EngineException
            {
                hook("build", request.context());
            }

            @Override
            public void started(StartedRequest request)
                    throws EngineException
            {
                started.countDown();
                hook("started", request.context());
            }

            @Override
            public boolean stopped(StoppedRequest request)
                    throws EngineException
            {
                hook("stopped", request.context());
                return request.result().success();
            }

            @Override
            public void finished(FinishedRequest request)
                    throws EngineException
            {
                hook("finished", request.context());
            }

            @Override
            public void exception(ExceptionRequest request)
            {
                calls.add("exception:" + request.reason().id());
            }

            @Override
            public void dispose()
            {
                calls.add("dispose");
            }

            private void hook(String name, dev.taskyard.engine.TaskContext context)
                    throws EngineException
            {
                calls.add(name);
                if (blockIn.equals(name)) {
                    blocked.countDown();
                    try {
                        context.awaitCancellation(java.time.Duration.ofMinutes(5));
                    }
                    catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (fail.equals(name)) {
                    throw error(error, name);
                }
            }
        };
    }

    private static EngineException error(String kind, String hook)
    {
        return switch (kind) {
            case "nonfatal" -> new NonFatalInternalErrorException("injected non-fatal error in " + hook);
            case "fatal" -> new FatalInternalErrorException("injected fatal error in " + hook);
            case "runtime" -> throw new IllegalStateException("injected bug in " + hook);
            default -> new MalformedPayloadException("injected malformed payload in " + hook);
        };
    }
}
