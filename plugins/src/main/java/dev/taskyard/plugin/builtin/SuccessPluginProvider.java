package dev.taskyard.plugin.builtin;

import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StoppedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;

/**
 * {@code success}: the task fails unless its result set says it succeeded (typically exit code 0, not killed).
 * Without this plugin, the exit code does not decide the resolution.
 */
public final class SuccessPluginProvider
        implements PluginProvider
{
    /** Stateless, so one instance serves every task. */
    private static final TaskPlugin TASK_PLUGIN = new TaskPlugin()
    {
        @Override
        public boolean stopped(StoppedRequest request)
        {
            return request.result().success();
        }
    };

    @Override
    public String name()
    {
        return "success";
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        return new Plugin()
        {
            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                return TASK_PLUGIN;
            }
        };
    }
}
