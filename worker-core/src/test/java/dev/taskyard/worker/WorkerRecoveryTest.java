package dev.taskyard.worker;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskyard.engine.EngineRegistry;
import dev.taskyard.engine.SandboxHandle;
import dev.taskyard.engine.WorkerIdentity;
import dev.taskyard.plugin.FolderArtifactStore;
import dev.taskyard.plugin.host.PluginRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A worker that starts again re-attaches to the sandboxes its previous process left running (the mock engine
 * implements recovery within its JVM): the run keeps its attempt, resolves once, and a sandbox that is gone makes the
 * task run again.
 */
class WorkerRecoveryTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String mock(String function, String argument, int delay)
    {
        return "{\"delay\":" + delay + ",\"function\":\"" + function + "\",\"argument\":\"" + argument + "\"}";
    }

    /** A queue the first worker talks to; once cut, every call fails, as if its process had died. */
    private static final class CuttableQueue
            implements TaskQueue
    {
        final TaskQueue queue;
        final AtomicBoolean cut = new AtomicBoolean();
        final List<SandboxHandle> saved = new CopyOnWriteArrayList<>();

        CuttableQueue(TaskQueue queue)
        {
            this.queue = queue;
        }

        private void check()
                throws QueueException
        {
            if (cut.get()) {
                throw new QueueException("the process is gone");
            }
        }

        @Override
        public List<Claim> claim(ClaimRequest request)
                throws QueueException, InterruptedException
        {
            check();
            return queue.claim(request);
        }

        @Override
        public Lease renew(Lease lease)
                throws QueueException
        {
            check();
            return queue.renew(lease);
        }

        @Override
        public boolean saveSandbox(Lease lease, SandboxHandle handle)
                throws QueueException
        {
            check();
            boolean stored = queue.saveSandbox(lease, handle);
            saved.add(handle);
            return stored;
        }

        @Override
        public void resolve(Lease lease, TaskResolution resolution)
                throws QueueException
        {
            check();
            queue.resolve(lease, resolution);
        }
    }

    private static Worker worker(TaskQueue queue, Path folder, String name)
            throws Exception
    {
        Path temp = Files.createDirectories(folder.resolve(name));
        String yaml = "worker: {workerId: w1, concurrency: 2, pollInterval: 0.02, leaseDuration: 3, shutdownGrace: "
                + "0.1, tempFolder: \"" + temp + "\"}\n"
                + "engine: mock\nplugins: {tasklog: {}}";
        EngineRegistry engines = EngineRegistry.load();
        PluginRegistry plugins = PluginRegistry.load();
        return Worker.create(WorkerConfig.parse(yaml, engines, plugins), engines, plugins, queue,
                new FolderArtifactStore(temp.resolve("artifacts")));
    }

    private static String log(Path folder, String name, String taskId)
            throws Exception
    {
        try (InputStream in = new FolderArtifactStore(folder.resolve(name).resolve("artifacts"))
                .open(taskId, "0", "public/logs/task.log")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRestartedWorkerRecoversItsRunningSandboxes()
            throws Exception
    {
        Path folder = Files.createTempDirectory("taskyard-recovery");
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep-write-log", "first|second", 1500))));
        CuttableQueue first = new CuttableQueue(queue);
        Worker dying = worker(first, folder, "first");
        dying.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (first.saved.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(first.saved).as("the handle saved after the start").hasSize(1);
        assertThat(first.saved.get(0).engine()).isEqualTo("mock");
        // the first process "dies": it can reach the queue no more, and its sandbox keeps running
        first.cut.set(true);

        Worker restarted = worker(queue, folder, "second");
        restarted.start();
        try {
            assertThat(queue.awaitResolution("long", Duration.ofSeconds(30))).as("the recovered run's resolution").get()
                    .hasToString("completed");
            assertThat(queue.attempts("long")).as("handed out once: the run kept its attempt").isEqualTo(1);
            restarted.stopGracefully();
            assertThat(restarted.awaitTermination(Duration.ofSeconds(30))).isTrue();
            // the in-memory queue stores no log: the recovered run's log is the task's whole output
            assertThat(log(folder, "second", "long")).contains("first\nsecond\n");
        }
        finally {
            restarted.stopNow();
            dying.stopNow();
            dying.awaitTermination(Duration.ofSeconds(30));
        }
    }

    @Test
    void aGracefulStopDetachesRecoverableRunsInsteadOfKillingThem()
            throws Exception
    {
        Path folder = Files.createTempDirectory("taskyard-recovery");
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        queue.submit(new TaskSpec("long", JSON.readTree(mock("write-log-sleep-write-log", "first|second", 1500))));
        CuttableQueue first = new CuttableQueue(queue);
        Worker stopping = worker(first, folder, "first");
        stopping.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (first.saved.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(first.saved).hasSize(1);
        // the grace period (0.1 s) is shorter than the task: the run is detached, not aborted
        stopping.stopGracefully();
        assertThat(stopping.awaitTermination(Duration.ofSeconds(30))).as("the worker stopped").isTrue();
        assertThat(queue.resolution("long")).as("a detached run is not resolved").isEmpty();

        Worker restarted = worker(queue, folder, "second");
        restarted.start();
        try {
            assertThat(queue.awaitResolution("long", Duration.ofSeconds(30))).get().hasToString("completed");
            assertThat(queue.attempts("long")).as("the detached run kept its attempt").isEqualTo(1);
            restarted.stopGracefully();
            assertThat(restarted.awaitTermination(Duration.ofSeconds(30))).isTrue();
            assertThat(log(folder, "second", "long")).contains("first\nsecond\n");
        }
        finally {
            restarted.stopNow();
        }
    }

    @Test
    void aGoneSandboxMakesTheTaskRunAgainWithItsAttempt()
            throws Exception
    {
        Path folder = Files.createTempDirectory("taskyard-recovery");
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        queue.submit(new TaskSpec("gone", JSON.readTree(mock("write-log", "ran-again", 0))));
        // the previous process claimed the task and saved the handle of a sandbox that no longer exists
        List<Claim> claims = queue.claim(new ClaimRequest(new WorkerIdentity("default", "w1"), 1, Duration.ZERO,
                Duration.ofSeconds(30)));
        assertThat(claims).hasSize(1);
        assertThat(queue.saveSandbox(claims.get(0).lease(),
                new SandboxHandle("mock", "{\"run\":\"" + UUID.randomUUID() + "\"}"))).isTrue();

        Worker restarted = worker(queue, folder, "second");
        restarted.start();
        try {
            assertThat(queue.awaitResolution("gone", Duration.ofSeconds(30))).get().hasToString("completed");
            assertThat(queue.attempts("gone")).as("the handed-back run reuses its attempt").isEqualTo(1);
            restarted.stopGracefully();
            assertThat(restarted.awaitTermination(Duration.ofSeconds(30))).isTrue();
            assertThat(log(folder, "second", "gone")).contains("ran-again");
        }
        finally {
            restarted.stopNow();
        }
    }

    @Test
    void anotherWorkersRunsAreNotReclaimed()
            throws Exception
    {
        Path folder = Files.createTempDirectory("taskyard-recovery");
        InMemoryTaskQueue queue = new InMemoryTaskQueue();
        queue.submit(new TaskSpec("theirs", JSON.readTree(mock("write-log", "x", 0))));
        List<Claim> claims = queue.claim(new ClaimRequest(new WorkerIdentity("default", "someone-else"), 1,
                Duration.ZERO, Duration.ofSeconds(30)));
        queue.saveSandbox(claims.get(0).lease(), new SandboxHandle("mock", "{\"run\":\"" + UUID.randomUUID() + "\"}"));
        assertThat(queue.reclaim(new WorkerIdentity("default", "w1"), Duration.ofSeconds(30))).isEmpty();
        List<ReclaimedRun> mine = queue.reclaim(new WorkerIdentity("default", "someone-else"), Duration.ofSeconds(30));
        assertThat(mine).hasSize(1);
        assertThat(mine.get(0).claim().lease().attempt()).isZero();
        assertThat(mine.get(0).claim().lease().token()).isNotEqualTo(claims.get(0).lease().token());
        // the old token is fenced off
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> queue.renew(claims.get(0).lease()))
                .isInstanceOf(LeaseLostException.class);
    }
}
