package dev.taskyard.plugin.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.ResultSet;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.plugin.BuildSandboxRequest;
import dev.taskyard.plugin.ExceptionReason;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;

import static java.util.Objects.requireNonNull;

/**
 * The task plugins of one task run, driven as one: each method runs that hook of every plugin that implements it,
 * in parallel (see {@link HookExecutor}: a hook's start does not wait for another hook to return, or for at most
 * about a millisecond behind a hook trusted to be quick), waits for all (a hook reported as a livelock is not waited
 * for), and throws the stage's error by priority: fatal internal error &gt; non-fatal internal error &gt; malformed
 * payload (messages of all plugins merged). Plugins that do not override a hook are skipped without a call.
 *
 * <p>Not thread-safe: the owner (the task run) calls one method at a time, in the order of {@link TaskPlugin}; a
 * concurrent call or a call after {@link #dispose()} throws {@link IllegalStateException}.
 */
public final class TaskPlugins
{
    private final HookExecutor executor;
    private final TaskContext context;
    private final String[] names;
    private final TaskPlugin[] plugins;
    private final int[] masks;
    private final AtomicBoolean busy = new AtomicBoolean();
    private boolean disposed;

    /**
     * @param names the component name of each plugin, e.g. {@code plugin "env"}
     * @param plugins the task plugins, in the same order
     */
    public TaskPlugins(HookExecutor executor, TaskContext context, List<String> names, List<TaskPlugin> plugins)
    {
        this.executor = requireNonNull(executor, "executor is null");
        this.context = requireNonNull(context, "context is null");
        if (names.size() != plugins.size()) {
            throw new IllegalArgumentException("one name per plugin is required");
        }
        this.names = names.toArray(String[]::new);
        this.plugins = plugins.toArray(TaskPlugin[]::new);
        this.masks = new int[this.plugins.length];
        for (int i = 0; i < this.plugins.length; i++) {
            masks[i] = HookMask.of(requireNonNull(this.plugins[i], "plugin is null"));
        }
    }

    /** The task plugins, in plugin order. */
    public List<TaskPlugin> plugins()
    {
        return List.of(plugins);
    }

    public void buildSandbox(SandboxBuilder builder)
            throws EngineException
    {
        BuildSandboxRequest request = new BuildSandboxRequest(builder, context);
        run("build", HookMask.BUILD, plugin -> {
            plugin.buildSandbox(request);
            return Boolean.TRUE;
        });
    }

    public void started(Sandbox sandbox)
            throws EngineException
    {
        StartedRequest request = new StartedRequest(sandbox, context);
        run("started", HookMask.STARTED, plugin -> {
            plugin.started(request);
            return Boolean.TRUE;
        });
    }

    /** @return whether every plugin returned {@code true} */
    public boolean stopped(ResultSet result)
            throws EngineException
    {
        StoppedRequest request = new StoppedRequest(result, context);
        return run("stopped", HookMask.STOPPED, plugin -> plugin.stopped(request));
    }

    public void finished(boolean success)
            throws EngineException
    {
        FinishedRequest request = new FinishedRequest(success, context);
        run("finished", HookMask.FINISHED, plugin -> {
            plugin.finished(request);
            return Boolean.TRUE;
        });
    }

    public void exception(ExceptionReason reason)
            throws EngineException
    {
        ExceptionRequest request = new ExceptionRequest(reason, context);
        run("exception", HookMask.EXCEPTION, plugin -> {
            plugin.exception(request);
            return Boolean.TRUE;
        });
    }

    /** Disposes every task plugin; afterwards every method throws {@link IllegalStateException}. */
    public void dispose()
            throws EngineException
    {
        try {
            run("dispose", HookMask.DISPOSE, plugin -> {
                plugin.dispose();
                return Boolean.TRUE;
            });
        }
        finally {
            disposed = true;
        }
    }

    @FunctionalInterface
    private interface HookBody
    {
        Boolean call(TaskPlugin plugin)
                throws Exception;
    }

    private boolean run(String stage, int bit, HookBody body)
            throws EngineException
    {
        if (!busy.compareAndSet(false, true)) {
            throw new IllegalStateException("task plugins of " + context + " called concurrently (" + stage + ")");
        }
        try {
            if (disposed) {
                throw new IllegalStateException("task plugins of " + context + " are disposed (" + stage + ")");
            }
            List<HookExecutor.Hook<Boolean>> hooks = null;
            for (int i = 0; i < plugins.length; i++) {
                if ((masks[i] & bit) != 0) {
                    if (hooks == null) {
                        hooks = new ArrayList<>(plugins.length);
                    }
                    TaskPlugin plugin = plugins[i];
                    hooks.add(new HookExecutor.Hook<>(names[i], () -> body.call(plugin)));
                }
            }
            if (hooks == null) {
                return true;
            }
            List<HookExecutor.Outcome<Boolean>> outcomes = executor.run(stage, context, hooks);
            StageErrors.check(stage, context, outcomes);
            boolean all = true;
            for (HookExecutor.Outcome<Boolean> outcome : outcomes) {
                all &= !Boolean.FALSE.equals(outcome.value());
            }
            return all;
        }
        finally {
            busy.set(false);
        }
    }
}
