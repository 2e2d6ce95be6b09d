package dev.taskyard.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourceTrackerTest
{
    @Test
    void acquireRecordsAndReleaseRemoves()
    {
        ResourceTracker tracker = new ResourceTracker();
        assertThat(tracker.isEmpty()).isTrue();

        ResourceTracker.Resource process = tracker.acquire("process", "pid 42");

        assertThat(tracker.isEmpty()).isFalse();
        assertThat(tracker.live()).containsExactly("process: pid 42");
        assertThat(process.isReleased()).isFalse();
        assertThat(process).hasToString("process: pid 42");

        process.release();

        assertThat(process.isReleased()).isTrue();
        assertThat(tracker.isEmpty()).isTrue();
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void releaseIsIdempotentAndCloseIsRelease()
    {
        ResourceTracker tracker = new ResourceTracker();
        ResourceTracker.Resource first = tracker.acquire("folder", "/tmp/a");
        ResourceTracker.Resource second = tracker.acquire("folder", "/tmp/a");

        first.release();
        first.release();
        first.close();

        assertThat(tracker.live()).as("an identical entry is a separate entry").containsExactly("folder: /tmp/a");
        try (ResourceTracker.Resource resource = second) {
            assertThat(resource.isReleased()).isFalse();
        }
        assertThat(second.isReleased()).isTrue();
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void liveIsOldestFirst()
    {
        ResourceTracker tracker = new ResourceTracker();
        List<ResourceTracker.Resource> resources = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            resources.add(tracker.acquire("slot", "#" + i));
        }
        for (int i = 0; i < 20; i += 3) {
            resources.get(i).release();
        }
        tracker.acquire("slot", "#20");

        List<String> expected = new ArrayList<>();
        for (int i = 0; i <= 20; i++) {
            if (i == 20 || i % 3 != 0) {
                expected.add("slot: #" + i);
            }
        }
        assertThat(tracker.live()).containsExactlyElementsOf(expected);
    }

    @Test
    void nullKindOrDescriptionIsRefused()
    {
        ResourceTracker tracker = new ResourceTracker();

        assertThatThrownBy(() -> tracker.acquire(null, "d")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> tracker.acquire("k", null)).isInstanceOf(NullPointerException.class);
        assertThat(tracker.isEmpty()).isTrue();
    }

    @Test
    void concurrentAcquireAndReleaseLeaveItEmpty()
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        ConcurrentLinkedQueue<ResourceTracker.Resource> shared = new ConcurrentLinkedQueue<>();

        TestThreads.runTogether(8, () -> {
            for (int i = 0; i < 2_000; i++) {
                ResourceTracker.Resource resource =
                        tracker.acquire("process", Thread.currentThread().getName() + " " + i);
                shared.add(resource);
                if (i % 2 == 0) {
                    resource.release();
                }
                ResourceTracker.Resource other = shared.poll();
                if (other != null) {
                    other.release();
                }
            }
            ResourceTracker.Resource rest;
            while ((rest = shared.poll()) != null) {
                rest.release();
            }
            return null;
        });

        assertThat(tracker.isEmpty()).isTrue();
        assertThat(tracker.live()).isEmpty();
    }

    @Test
    void concurrentDoubleReleaseOfTheSameEntries()
            throws Exception
    {
        ResourceTracker tracker = new ResourceTracker();
        List<ResourceTracker.Resource> resources = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            resources.add(tracker.acquire("container", "c" + i));
        }

        TestThreads.runTogether(8, () -> {
            resources.forEach(ResourceTracker.Resource::release);
            return null;
        });

        assertThat(tracker.isEmpty()).isTrue();
        assertThat(resources).allSatisfy(r -> assertThat(r.isReleased()).isTrue());
    }
}
