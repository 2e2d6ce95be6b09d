package dev.taskyard.engine.docker.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.taskyard.engine.Capabilities;
import dev.taskyard.engine.EngineContext;
import dev.taskyard.engine.EngineException;
import dev.taskyard.engine.Feature;
import dev.taskyard.engine.FeatureNotSupportedException;
import dev.taskyard.engine.MalformedPayloadException;
import dev.taskyard.engine.RecoveryOptions;
import dev.taskyard.engine.Sandbox;
import dev.taskyard.engine.SandboxBuilder;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.SandboxOptions;
import dev.taskyard.engine.TaskContext;
import dev.taskyard.engine.Volume;
import dev.taskyard.engine.docker.DockerEngineProvider;
import dev.taskyard.engine.schema.JsonSchema;
import dev.taskyard.engine.support.AbstractEngine;
import org.slf4j.Logger;

import static java.util.Objects.requireNonNull;

/**
 * The Docker engine (see {@link DockerEngineProvider} for what it offers). It holds one docker-java client, a worker
 * pool for background steps (image preparation, exit reports), the reconciler's scheduler, and a register of the
 * containers, volumes and sandbox slots it has live, so that {@link #dispose()} leaves nothing behind. With
 * {@code "recovery"} on (the default) it declares {@link Feature#RECOVERY}: a later engine of the same worker
 * re-attaches to a container from its sandbox's handle ({@link #recoverSandbox}), and the reconciler keeps an earlier
 * engine's containers until the worker said which of them stored leases claim ({@link #retainRecoverable}).
 *
 * <p>Thread-safe, except {@link #dispose()}, which is idempotent.
 */
public final class DockerEngine
        extends AbstractEngine<TaskSpec>
{
    private static final JsonSchema PAYLOAD_SCHEMA =
            JsonSchema.read(DockerEngineProvider.class.getResourceAsStream("payload.schema.json"),
            "payload.schema.json");
    private static final JsonSchema VOLUME_SCHEMA = JsonSchema.emptyObject();
    private static final AtomicInteger ENGINES = new AtomicInteger();

    private final DockerConfig config;
    private final WorkerLabels labels;
    private final DockerClient client;
    private final ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private final Images images;
    private final RecoveryClaims claims;
    private final Set<ContainerHandle> containers = ConcurrentHashMap.newKeySet();
    private final Set<DockerVolume> volumes = ConcurrentHashMap.newKeySet();

    private DockerEngine(DockerConfig config, EngineContext context)
    {
        super(context, "docker-sandbox", PAYLOAD_SCHEMA, capabilities(config));
        this.config = config;
        this.labels = new WorkerLabels(context.worker());
        this.client = newClient(config.socket());
        int id = ENGINES.incrementAndGet();
        this.executor = Executors.newCachedThreadPool(daemonThreads("taskyard-docker-" + id + "-worker"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("taskyard-docker-" + id
                + "-reconciler"));
        this.images = new Images(this);
        this.claims = new RecoveryClaims(config.recovery());
    }

    private static Capabilities capabilities(DockerConfig config)
    {
        List<Feature> features = new java.util.ArrayList<>(List.of(Feature.ENVIRONMENT_VARIABLES, Feature.VOLUMES,
                Feature.SHELLS, Feature.ARTIFACTS));
        if (config.recovery()) {
            features.add(Feature.RECOVERY);
        }
        return Capabilities.of(config.maxConcurrency(), features.toArray(Feature[]::new));
    }

    /**
     * Creates an engine and schedules the reconciler: a first pass at once, then one every reconcile interval. Does
     * not contact the daemon on this thread.
     */
    public static DockerEngine start(DockerConfig config, EngineContext context)
    {
        requireNonNull(config, "config is null");
        requireNonNull(context, "context is null");
        DockerEngine engine = new DockerEngine(config, context);
        Reconciler reconciler = new Reconciler(engine, config.gracePeriod(), engine.claims);
        engine.scheduler.scheduleWithFixedDelay(reconciler::pass, 0,
                config.reconcileInterval().toMillis(), TimeUnit.MILLISECONDS);
        engine.logger().info("docker engine for worker {}/{} uses {} (network {}, grace period {} s, recovery {})",
                context.worker().workerGroup(), context.worker().workerId(), config.socket(), config.network(),
                config.gracePeriod().toSeconds(), config.recovery() ? "on" : "off");
        return engine;
    }

    /** Checks the payload against the configured maxima. */
    @Override
    protected TaskSpec parsePayload(SandboxOptions options)
            throws EngineException
    {
        return TaskSpec.parse(options.payload(), config);
    }

    /** Starts making the image present in the background. */
    @Override
    protected SandboxBuilder newSandboxBuilder(TaskSpec spec, TaskContext task, Slot slot)
    {
        return new DockerSandboxBuilder(this, spec, task, slot, images.require(spec.image(), task));
    }

    @Override
    public JsonSchema volumeSchema()
    {
        return VOLUME_SCHEMA;
    }

    @Override
    public Volume newVolume(JsonNode options)
            throws EngineException
    {
        checkNotDisposed();
        if (options == null || !options.isObject() || options.size() != 0) {
            throw new MalformedPayloadException("Docker volumes take no options: pass {}");
        }
        return DockerVolume.create(this);
    }

    /**
     * Re-attaches to the container named by a handle of a Docker sandbox (see {@link SandboxRecovery}). The container
     * must still exist and carry this worker's labels; its log is read from the daemon and written from byte
     * {@link RecoveryOptions#logOffset()} on.
     */
    @Override
    public Sandbox recoverSandbox(RecoveryOptions options)
            throws EngineException
    {
        requireNonNull(options, "options is null");
        if (!config.recovery()) {
            throw new FeatureNotSupportedException("this Docker engine's config turns recovery off "
                    + "(\"recovery\": false)");
        }
        checkNotDisposed();
        RecoveryHandle handle = RecoveryHandle.parse(options.handle());
        claims.recovering(handle.name());
        SandboxRecovery recovery = new SandboxRecovery(this, handle, options);
        recovery.checkContainer();
        return recovery.attach(newSlot(options.context()));
    }

    /** Keeps the containers of the listed Docker handles for recovery; every other one is a leftover from now on. */
    @Override
    public void retainRecoverable(Collection<SandboxHandle> handles)
    {
        requireNonNull(handles, "handles is null");
        Set<String> names = new HashSet<>();
        for (SandboxHandle handle : handles) {
            try {
                names.add(RecoveryHandle.parse(handle).name());
            }
            catch (MalformedPayloadException e) {
                // another engine's handle, or an unreadable one: it claims no container of this engine
            }
        }
        claims.retain(names);
        logger().info("docker engine for worker {}: stored leases claim {} containers for recovery; the reconciler "
                + "removes this worker's other leftovers once past the grace period", context().worker().workerId(),
                names.size());
    }

    /** Removes every container and volume still live, stops the reconciler and closes the client. */
    @Override
    protected void disposeEngine()
    {
        // let a reconciler pass in flight finish rather than interrupt its daemon call
        scheduler.shutdown();
        images.close();
        for (ContainerHandle container : List.copyOf(containers)) {
            logger().warn("task {} run {}: container {} was still live at engine disposal; removing it",
                    container.task().taskId(), container.task().runId(), container.name());
            container.removeQuietly();
        }
        for (DockerVolume volume : List.copyOf(volumes)) {
            logger().warn("volume {} was still live at engine disposal; removing it", volume.name());
            volume.forceRemove();
        }
        executor.shutdownNow();
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) {
                scheduler.shutdownNow();
            }
            client.close();
        }
        catch (IOException e) {
            logger().warn("closing the Docker client failed: {}", e.toString());
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- for the engine's own objects

    DockerClient client()
    {
        return client;
    }

    DockerConfig config()
    {
        return config;
    }

    Logger logger()
    {
        return context().logger();
    }

    WorkerLabels labels()
    {
        return labels;
    }

    ExecutorService executor()
    {
        return executor;
    }

    void register(ContainerHandle container)
    {
        containers.add(container);
    }

    void unregister(ContainerHandle container)
    {
        containers.remove(container);
    }

    void register(DockerVolume volume)
    {
        volumes.add(volume);
    }

    void unregister(DockerVolume volume)
    {
        volumes.remove(volume);
    }

    /** Whether the volume is a live volume of this engine. */
    boolean owns(DockerVolume volume)
    {
        return volumes.contains(volume);
    }


    private static DockerClient newClient(String socket)
    {
        DefaultDockerClientConfig config = DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(socket)
                .withDockerTlsVerify(false)
                .build();
        ApacheDockerHttpClient http = new ApacheDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .connectionTimeout(Duration.ofSeconds(10))
                .build();
        return DockerClientImpl.getInstance(config, http);
    }
}
