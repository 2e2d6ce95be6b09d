package dev.taskyard.plugin.builtin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.plugin.ExceptionRequest;
import dev.taskyard.plugin.FinishedRequest;
import dev.taskyard.plugin.Plugin;
import dev.taskyard.plugin.PluginOptions;
import dev.taskyard.plugin.PluginProvider;
import dev.taskyard.plugin.StartedRequest;
import dev.taskyard.plugin.TaskPlugin;
import dev.taskyard.plugin.TaskPluginOptions;
import dev.taskyard.plugin.TaskReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code progress}: recognises progress lines in the live task log (by default {@code ::progress 45}) and publishes
 * the percent through the task's {@link TaskReporter}, clamped to {@code 0..100}, each new value once. One shared
 * ticker scans every running task's log every {@code pollInterval} seconds (default 0.5) without blocking, and the
 * rest of the log is scanned when the task ends; no thread is created per task.
 */
public final class ProgressPluginProvider
        implements PluginProvider
{
    private static final Logger LOG = LoggerFactory.getLogger(ProgressPluginProvider.class);
    private static final JsonSchema CONFIG = Schemas.resource("progress.config.schema.json");

    @Override
    public String name()
    {
        return "progress";
    }

    @Override
    public JsonSchema configSchema()
    {
        return CONFIG;
    }

    @Override
    public Plugin createPlugin(PluginOptions options)
    {
        Pattern pattern = Pattern.compile(options.config().path("pattern").asText("::progress (\\d{1,3})\\s*"));
        Duration poll = options.config().has("pollInterval") ? Schemas.seconds(options.config().get("pollInterval"))
                : Duration.ofMillis(500);
        Set<Follower> following = ConcurrentHashMap.newKeySet();
        ScheduledFuture<?> ticker = options.environment().scheduler().scheduleWithFixedDelay(() -> {
            for (Follower follower : following) {
                follower.scan();
            }
        }, poll.toNanos(), poll.toNanos(), TimeUnit.NANOSECONDS);
        return new Plugin()
        {
            @Override
            public TaskPlugin newTaskPlugin(TaskPluginOptions task)
            {
                return new Follower(task.context(), task.reporter(), pattern, following);
            }

            @Override
            public void dispose()
            {
                ticker.cancel(false);
            }
        };
    }

    /** Follows one task's log from {@code started} to the end. {@link #scan()} is thread-safe. */
    private static final class Follower
            implements TaskPlugin
    {
        private final TaskContext context;
        private final TaskReporter reporter;
        private final Pattern pattern;
        private final Set<Follower> following;

        // guarded by this
        private InputStream reader;
        private final StringBuilder line = new StringBuilder();
        private byte[] buffer = new byte[0];
        private int last = -1;

        Follower(TaskContext context, TaskReporter reporter, Pattern pattern, Set<Follower> following)
        {
            this.context = context;
            this.reporter = reporter;
            this.pattern = pattern;
            this.following = following;
        }

        @Override
        public void started(StartedRequest request)
        {
            synchronized (this) {
                reader = context.log().newReader();
            }
            following.add(this);
        }

        @Override
        public void finished(FinishedRequest request)
        {
            end();
        }

        @Override
        public void exception(ExceptionRequest request)
        {
            end();
        }

        @Override
        public void dispose()
        {
            following.remove(this);
            synchronized (this) {
                if (reader != null) {
                    try {
                        reader.close();
                    }
                    catch (IOException ignored) {
                        // nothing to release
                    }
                    reader = null;
                }
            }
        }

        private void end()
        {
            following.remove(this);
            scan();
            synchronized (this) {
                if (line.length() > 0) {
                    match(line.toString());
                    line.setLength(0);
                }
            }
        }

        /** Reads what the log has without blocking and publishes new progress values. */
        synchronized void scan()
        {
            if (reader == null) {
                return;
            }
            try {
                int available;
                while ((available = reader.available()) > 0) {
                    if (buffer.length < available) {
                        buffer = new byte[Math.min(Math.max(available, 256), 64 * 1024)];
                    }
                    int n = reader.read(buffer, 0, Math.min(available, buffer.length));
                    if (n <= 0) {
                        return;
                    }
                    String text = new String(buffer, 0, n, StandardCharsets.UTF_8);
                    for (int i = 0; i < text.length(); i++) {
                        char c = text.charAt(i);
                        if (c == '\n') {
                            match(line.toString());
                            line.setLength(0);
                        }
                        else if (line.length() < 4096) {
                            line.append(c);
                        }
                    }
                }
            }
            catch (IOException e) {
                LOG.debug("progress stopped following the log of {}: {}", context, e.getMessage());
                reader = null;
            }
        }

        private void match(String text)
        {
            Matcher matcher = pattern.matcher(text);
            if (!matcher.matches() || matcher.groupCount() < 1) {
                return;
            }
            int percent;
            try {
                percent = Math.max(0, Math.min(100, Integer.parseInt(matcher.group(1).trim())));
            }
            catch (NumberFormatException e) {
                return;
            }
            if (percent != last) {
                last = percent;
                reporter.progress(percent);
            }
        }
    }
}
