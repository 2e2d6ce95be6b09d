package dev.taskyard.engine.docker.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.model.Container;
import dev.taskyard.engine.docker.DockerLabels;

import static java.util.Objects.requireNonNull;

/**
 * Removes the leftovers of this worker: containers and volumes labelled with its worker id that no live engine of
 * this JVM owns (see {@link Ownership}), once they are older than the grace period. Ages are measured on the
 * daemon's clock (its creation stamps against its {@code SystemTime}); an object without a creation stamp counts
 * from when a pass first saw it unowned. Containers go first, so the volumes they held are free when their turn
 * comes.
 *
 * <p>With recovery on ({@link RecoveryClaims}), a restarted worker gets to recover its runs first: until the worker
 * said which containers its stored leases claim, an object counts as a leftover only once the grace period has also
 * passed since the engine's first pass; afterwards a claimed container is kept until its recovery was attempted, and
 * every other one is a leftover by the rules above.
 *
 * <p>Runs at engine start and then every reconcile interval, on the engine's scheduler; {@link #pass()} is not meant
 * to run concurrently with itself.
 */
final class Reconciler
{
    private final DockerEngine engine;
    private final Duration gracePeriod;
    private final RecoveryClaims claims;
    private final Map<String, Instant> firstSeenUnowned = new HashMap<>();
    private Instant firstPass;
    private boolean daemonDown;

    Reconciler(DockerEngine engine, Duration gracePeriod, RecoveryClaims claims)
    {
        this.engine = requireNonNull(engine, "engine is null");
        this.gracePeriod = requireNonNull(gracePeriod, "gracePeriod is null");
        this.claims = requireNonNull(claims, "claims is null");
    }

    /** One look for leftovers; logs and swallows every failure, so the schedule goes on. */
    void pass()
    {
        try {
            Instant now = daemonNow();
            if (firstPass == null) {
                firstPass = now;
            }
            List<String> seen = new ArrayList<>();
            reconcileContainers(now, seen);
            reconcileVolumes(now, seen);
            firstSeenUnowned.keySet().retainAll(seen);
            if (daemonDown) {
                engine.logger().info("reconciler: the Docker daemon at {} answers again", engine.config().socket());
                daemonDown = false;
            }
        }
        catch (RuntimeException e) {
            if (!DockerErrors.isDaemonAnswer(e)) {
                if (!daemonDown) {
                    engine.logger().warn("reconciler: the Docker daemon at {} does not answer ({}); will retry",
                            engine.config().socket(), DockerErrors.reason(e));
                }
                daemonDown = true;
                return;
            }
            engine.logger().warn("reconciler: looking for leftovers failed: {}", DockerErrors.reason(e));
        }
    }

    private void reconcileContainers(Instant now, List<String> seen)
    {
        List<Container> containers = engine.client().listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(engine.labels().forWorker())
                .exec();
        for (Container container : containers) {
            String name = container.getNames() == null || container.getNames().length == 0 ? container.getId()
                    : container.getNames()[0].replaceFirst("^/", "");
            if (Ownership.isOwned(name)) {
                continue;
            }
            seen.add(name);
            if (claims.isClaimed(name)) {
                continue; // a stored lease claims it: kept for its recovery
            }
            // the list gives whole seconds: round up, so an object never looks older than it is
            Optional<Instant> created =
                    Optional.ofNullable(container.getCreated()).map(seconds -> Instant.ofEpochSecond(seconds + 1));
            if (!isPastGrace(name, created, now)) {
                continue;
            }
            Map<String, String> labels = container.getLabels() == null ? Map.of() : container.getLabels();
            try {
                engine.client().removeContainerCmd(container.getId()).withForce(true).withRemoveVolumes(true).exec();
                engine.logger().info("task {} run {}: reconciler removed leftover container {} ({})",
                        labels.getOrDefault(DockerLabels.TASK_ID, "-"),
                        labels.getOrDefault(DockerLabels.RUN_ID, "-"), name, container.getState());
            }
            catch (RuntimeException e) {
                if (!DockerErrors.isNotFound(e)) {
                    engine.logger().warn("reconciler: removing leftover container {} failed: {}", name,
                            DockerErrors.reason(e));
                }
            }
        }
    }

    private void reconcileVolumes(Instant now, List<String> seen)
    {
        List<String> filter = new ArrayList<>();
        engine.labels().forWorker().forEach((key, value) -> filter.add(key + "=" + value));
        List<InspectVolumeResponse> volumes =
                engine.client().listVolumesCmd().withFilter("label", filter).exec().getVolumes();
        for (InspectVolumeResponse volume : volumes == null ? List.<InspectVolumeResponse>of() : volumes) {
            String name = volume.getName();
            if (Ownership.isOwned(name)) {
                continue;
            }
            seen.add(name);
            Optional<Instant> created =
                    Optional.ofNullable(volume.getRawValues().get("CreatedAt")).map(String::valueOf)
                    .flatMap(Reconciler::parseTime)
                    .map(instant -> instant.plusSeconds(1));
            if (!isPastGrace(name, created, now)) {
                continue;
            }
            try {
                engine.client().removeVolumeCmd(name).exec();
                engine.logger().info("reconciler removed leftover volume {}", name);
            }
            catch (RuntimeException e) {
                if (!DockerErrors.isNotFound(e)) {
                    engine.logger().warn("reconciler: removing leftover volume {} failed (retried next pass): {}",
                            name, DockerErrors.reason(e));
                }
            }
        }
    }

    private boolean isPastGrace(String name, Optional<Instant> created, Instant now)
    {
        Instant since = firstSeenUnowned.computeIfAbsent(name, key -> now);
        if (created.isPresent() && created.get().isBefore(since)) {
            since = created.get();
        }
        if (claims.awaitingClaims() && since.isBefore(firstPass)) {
            since = firstPass; // the worker may still claim it for recovery
        }
        return !Duration.between(since, now).minus(gracePeriod).isNegative();
    }

    private Instant daemonNow()
    {
        return Optional.ofNullable(engine.client().infoCmd().exec().getSystemTime()).flatMap(Reconciler::parseTime)
                .orElseGet(Instant::now);
    }

    static Optional<Instant> parseTime(String text)
    {
        try {
            return Optional.of(OffsetDateTime.parse(text).toInstant());
        }
        catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
