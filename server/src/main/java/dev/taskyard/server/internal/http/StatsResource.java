package dev.taskyard.server.internal.http;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskyard.store.TaskStatus;
import dev.taskyard.store.TaskStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * {@code GET /v1/stats}: the tasks by state now, and a history of the last minutes (one sample every
 * {@code interval}, at most {@code keep} of them): queue depth, running tasks, tasks submitted and tasks finished in
 * each interval. Finished tasks are counted as the growth of the COMPLETED + FAILED + CANCELED counts between two
 * samples, so tasks deleted in the same interval as others finished lower that interval's figure (never below 0).
 * The history lives in memory and starts with the server.
 *
 * <p>Thread-safe. {@link #start()} samples at once and then every interval on its own daemon thread until
 * {@link #close()}; a failed sample (the store failing) is logged and skipped.
 */
public final class StatsResource
        implements AutoCloseable
{
    private static final Logger LOG = LoggerFactory.getLogger(StatsResource.class);
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    public static final int KEEP = 180;

    /** One sample: the counts at {@code at}, and what was submitted and finished since the sample before. */
    record Sample(Instant at, Map<TaskStatus, Long> counts, long submitted, long finished)
    {
    }

    private final TaskStore store;
    private final LongSupplier submittedTotal;
    private final Duration interval;
    private final int keep;
    private final Clock clock;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private final ScheduledExecutorService sampler;
    private long lastSubmitted = -1;
    private long lastFinished = -1;

    /**
     * @param submittedTotal the number of tasks the API has accepted since it started (a counter)
     */
    public StatsResource(TaskStore store, LongSupplier submittedTotal, Duration interval, int keep, Clock clock)
    {
        this.store = requireNonNull(store, "store is null");
        this.submittedTotal = requireNonNull(submittedTotal, "submittedTotal is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (interval.isNegative() || interval.isZero() || keep < 1) {
            throw new IllegalArgumentException("interval must be positive and keep at least 1");
        }
        this.keep = keep;
        this.sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "taskyard-stats");
            thread.setDaemon(true);
            return thread;
        });
    }

    public void start()
    {
        sampler.scheduleAtFixedRate(this::sampleQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sampleQuietly()
    {
        try {
            sample();
        }
        catch (Exception e) {
            LOG.warn("sampling the task counts failed: {}", e.toString());
        }
    }

    /** Takes one sample now (the sampler thread does this every interval). */
    synchronized void sample()
            throws Exception
    {
        Map<TaskStatus, Long> counts = counts();
        long submitted = submittedTotal.getAsLong();
        long finished = counts.get(TaskStatus.COMPLETED) + counts.get(TaskStatus.FAILED)
                + counts.get(TaskStatus.CANCELED);
        long newSubmitted = lastSubmitted < 0 ? 0 : Math.max(0, submitted - lastSubmitted);
        long newFinished = lastFinished < 0 ? 0 : Math.max(0, finished - lastFinished);
        lastSubmitted = submitted;
        lastFinished = finished;
        samples.addLast(new Sample(clock.instant(), counts, newSubmitted, newFinished));
        while (samples.size() > keep) {
            samples.removeFirst();
        }
    }

    private Map<TaskStatus, Long> counts()
            throws Exception
    {
        Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
        Map<TaskStatus, Long> stored = store.countByStatus();
        for (TaskStatus status : TaskStatus.values()) {
            counts.put(status, stored.getOrDefault(status, 0L));
        }
        return counts;
    }

    synchronized List<Sample> history()
    {
        return new ArrayList<>(samples);
    }

    public void get(Exchange exchange, List<String> parameters)
            throws Exception
    {
        Map<TaskStatus, Long> now = counts();
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("at", clock.instant().toString());
        ObjectNode tasks = body.putObject("tasks");
        now.forEach((status, count) -> tasks.put(status.name(), count));
        body.put("interval_seconds", interval.toMillis() / 1000.0);
        ArrayNode list = body.putArray("samples");
        for (Sample sample : history()) {
            list.addObject()
                    .put("at", sample.at().toString())
                    .put("queue_depth", sample.counts().get(TaskStatus.PENDING))
                    .put("running", sample.counts().get(TaskStatus.RUNNING))
                    .put("submitted", sample.submitted())
                    .put("finished", sample.finished());
        }
        exchange.sendJson(200, body, Map.of("Cache-Control", "no-store"));
    }

    @Override
    public void close()
    {
        sampler.shutdownNow();
    }
}
